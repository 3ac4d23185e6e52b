// Translates the Prometheus Operator objects the chart renders (PodMonitor for agents, ServiceMonitor
// for the operator) into what the Prometheus Operator would give Prometheus: a scrape job with the
// operator's default target labels (namespace, pod, container, endpoint, job[, service]) plus the
// monitor's own relabelings, and targets as file_sd groups carrying the same __meta_kubernetes_*
// labels Kubernetes service discovery would. Pod selection (label selector, namespace selector,
// named port) is done here rather than by kubernetes_sd, which would need a kubeconfig per job.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { ScrapeJob, TargetGroup } from '../support/prometheus.js';

interface Endpoint {
  port: string;
  path?: string;
  interval?: string;
  relabelings?: Array<Record<string, unknown>>;
}

export interface PodMonitor {
  metadata: { name: string; namespace: string };
  spec: {
    namespaceSelector?: { any?: boolean; matchNames?: string[] };
    selector: { matchLabels?: Record<string, string> };
    podMetricsEndpoints: Endpoint[];
  };
}

export interface ServiceMonitor {
  metadata: { name: string; namespace: string };
  spec: {
    namespaceSelector?: { any?: boolean; matchNames?: string[] };
    selector: { matchLabels?: Record<string, string> };
    endpoints: Endpoint[];
  };
}

const sanitize = (s: string) => s.replace(/[^a-zA-Z0-9_]/g, '_');
const matches = (labels: Record<string, string> | undefined, sel: Record<string, string> = {}) =>
  Object.entries(sel).every(([k, v]) => labels?.[k] === v);
const inNamespaces = (ns: string, sel: PodMonitor['spec']['namespaceSelector'], own: string) =>
  sel?.any === true || (sel?.matchNames ?? [own]).includes(ns);

/** camelCase RelabelConfig (monitoring.coreos.com) → Prometheus relabel_config. */
function relabel(r: Record<string, unknown>): Record<string, unknown> {
  const names: Record<string, string> = {
    sourceLabels: 'source_labels',
    targetLabel: 'target_label',
    separator: 'separator',
    regex: 'regex',
    modulus: 'modulus',
    replacement: 'replacement',
    action: 'action',
  };
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [names[k] ?? k, v]));
}

function defaults(job: string, port: string, extra: string[] = []): Array<Record<string, unknown>> {
  const copy = (from: string, to: string) => ({ source_labels: [from], target_label: to });
  return [
    copy('__meta_kubernetes_namespace', 'namespace'),
    copy('__meta_kubernetes_pod_container_name', 'container'),
    copy('__meta_kubernetes_pod_name', 'pod'),
    ...extra.map((l) => copy(`__meta_kubernetes_${l}_name`, l)),
    { target_label: 'job', replacement: job },
    { target_label: 'endpoint', replacement: port },
  ];
}

function podMeta(pod: V1Pod, port: string): Record<string, string> {
  const labels: Record<string, string> = {
    __meta_kubernetes_namespace: pod.metadata!.namespace!,
    __meta_kubernetes_pod_name: pod.metadata!.name!,
    __meta_kubernetes_pod_node_name: pod.spec?.nodeName ?? '',
    __meta_kubernetes_pod_ip: pod.status?.podIP ?? '',
    __meta_kubernetes_pod_container_name: pod.spec!.containers[0]!.name,
    __meta_kubernetes_pod_container_port_name: port,
  };
  for (const [k, v] of Object.entries(pod.metadata?.labels ?? {}))
    labels[`__meta_kubernetes_pod_label_${sanitize(k)}`] = v;
  return labels;
}

function containerPort(pod: V1Pod, name: string): number | undefined {
  return pod.spec?.containers
    .flatMap((c) => c.ports ?? [])
    .find((p) => p.name === name && (p.protocol ?? 'TCP') === 'TCP')?.containerPort;
}

export function podMonitorJobs(pm: PodMonitor): ScrapeJob[] {
  return pm.spec.podMetricsEndpoints.map((e, i) => ({
    job_name: `podMonitor/${pm.metadata.namespace}/${pm.metadata.name}/${i}`,
    scrape_interval: e.interval ?? '30s',
    metrics_path: e.path ?? '/metrics',
    relabel_configs: [
      ...defaults(`${pm.metadata.namespace}/${pm.metadata.name}`, e.port),
      ...(e.relabelings ?? []).map(relabel),
    ],
  }));
}

export function podMonitorTargets(pm: PodMonitor, pods: V1Pod[]): TargetGroup[][] {
  return pm.spec.podMetricsEndpoints.map((e) =>
    pods
      .filter(
        (p) =>
          p.status?.podIP &&
          !p.metadata?.deletionTimestamp &&
          inNamespaces(p.metadata!.namespace!, pm.spec.namespaceSelector, pm.metadata.namespace) &&
          matches(p.metadata?.labels, pm.spec.selector.matchLabels),
      )
      .flatMap((p) => {
        const port = containerPort(p, e.port);
        return port ? [{ targets: [`${p.status!.podIP}:${port}`], labels: podMeta(p, e.port) }] : [];
      }),
  );
}

export function serviceMonitorJobs(sm: ServiceMonitor): ScrapeJob[] {
  return sm.spec.endpoints.map((e, i) => ({
    job_name: `serviceMonitor/${sm.metadata.namespace}/${sm.metadata.name}/${i}`,
    scrape_interval: e.interval ?? '30s',
    metrics_path: e.path ?? '/metrics',
    relabel_configs: [
      ...defaults('', e.port, ['service']).filter((r) => r.target_label !== 'job'),
      { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job' },
      ...(e.relabelings ?? []).map(relabel),
    ],
  }));
}

/** Endpoints of the matching Services: their ready pods, at the port the endpoint names. */
export function serviceMonitorTargets(
  sm: ServiceMonitor,
  services: V1Service[],
  pods: V1Pod[],
): TargetGroup[][] {
  return sm.spec.endpoints.map((e) =>
    services
      .filter(
        (s) =>
          inNamespaces(s.metadata!.namespace!, sm.spec.namespaceSelector, sm.metadata.namespace) &&
          matches(s.metadata?.labels, sm.spec.selector.matchLabels),
      )
      .flatMap((svc) => {
        const sp = svc.spec?.ports?.find((p) => p.name === e.port);
        if (!sp) return [];
        return pods
          .filter(
            (p) =>
              p.metadata?.namespace === svc.metadata?.namespace &&
              p.status?.podIP &&
              !p.metadata?.deletionTimestamp &&
              p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
              matches(p.metadata?.labels, svc.spec?.selector),
          )
          .flatMap((p) => {
            const port =
              typeof sp.targetPort === 'number'
                ? sp.targetPort
                : containerPort(p, String(sp.targetPort ?? sp.name));
            return port
              ? [
                  {
                    targets: [`${p.status!.podIP}:${port}`],
                    labels: { ...podMeta(p, e.port), __meta_kubernetes_service_name: svc.metadata!.name! },
                  },
                ]
              : [];
          });
      }),
  );
}
