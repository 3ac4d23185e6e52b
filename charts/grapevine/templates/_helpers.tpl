{{/* Names, labels and shared fragments of the grapevine chart. */}}

{{- define "grapevine.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "grapevine.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "grapevine.operatorName" -}}
{{- printf "%s-operator" (include "grapevine.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "grapevine.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "grapevine.labels" -}}
helm.sh/chart: {{ include "grapevine.chart" . }}
app.kubernetes.io/name: {{ include "grapevine.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: grapevine
{{- end }}

{{- define "grapevine.operatorSelectorLabels" -}}
app.kubernetes.io/name: {{ include "grapevine.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "grapevine.operatorLabels" -}}
{{ include "grapevine.labels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "grapevine.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "grapevine.operatorName" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "grapevine.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The generated RBAC data (scripts/gen-chart.ts from src/operator/rbac.ts). */}}
{{- define "grapevine.rbac" -}}
{{- .Files.Get "files/rbac.json" }}
{{- end }}

{{/* The agent pods' selector, the same labels the operator puts on every agent pod. */}}
{{- define "grapevine.agentSelectorLabels" -}}
app.kubernetes.io/name: grapevine
app.kubernetes.io/component: agent
app.kubernetes.io/managed-by: grapevine-operator
{{- end }}
