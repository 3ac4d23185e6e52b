// The Prometheus Operator's PodMonitor and ServiceMonitor CRDs, schema kept open: enough for the
// apiserver to store what the operator and the chart render ("as if the Prometheus Operator were
// installed"; the helm e2e translates them into Prometheus scrape config).
export function monitoringCrd(kind: 'PodMonitor' | 'ServiceMonitor') {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.monitoring.coreos.com` },
    spec: {
      group: 'monitoring.coreos.com',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}
