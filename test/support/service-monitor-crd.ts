// The Prometheus Operator's ServiceMonitor CRD as the operator e2e tests install it ("as if the
// Prometheus Operator were installed"): the real names, the schema kept open.
export function serviceMonitorCrd(): { metadata: { name: string } } & Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'servicemonitors.monitoring.coreos.com' },
    spec: {
      group: 'monitoring.coreos.com',
      names: {
        kind: 'ServiceMonitor',
        plural: 'servicemonitors',
        singular: 'servicemonitor',
        listKind: 'ServiceMonitorList',
      },
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
