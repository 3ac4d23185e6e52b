import type { KubernetesObject, V1Container, V1PodSpec } from '@kubernetes/client-node';
import { Value } from '@sinclair/typebox/value';
import { expect } from 'chai';
import fc from 'fast-check';
import { parse } from 'yaml';
import { AgentConfigSchema } from '../../src/agent/config/agent-schema.js';
import { loadAgentConfig, loadConfigFileParser } from '../../src/agent/config/load-agent-config.js';
import {
  type GossipCluster,
  type GossipClusterSpec,
  GossipClusterSpecSchema,
} from '../../src/operator/api/gossipcluster-schema.js';
import { registerKubernetesKinds } from '../../src/operator/api/k8s-schema-kinds.js';
import { resolveSpec } from '../../src/operator/api/resolve-spec.js';
import { type DesiredObjects, desiredObjects } from '../../src/operator/desired/desired-objects.js';

function cr(name = 'grapevine', namespace = 'team-a'): GossipCluster {
  return {
    apiVersion: 'grapevine.dev/v1alpha1',
    kind: 'GossipCluster',
    metadata: { name, namespace, uid: `uid-${name}`, generation: 1 },
    spec: {} as GossipClusterSpec,
  };
}

function spec(input: unknown = {}): GossipClusterSpec {
  const r = resolveSpec(input);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.spec;
}

function build(input: unknown = {}, c = cr(), serviceMonitorCrdPresent = false): DesiredObjects {
  return desiredObjects(c, spec(input), { serviceMonitorCrdPresent });
}

const agentYaml = (d: DesiredObjects) => d.configMap.data!['agent.yaml']!;
const pod = (d: DesiredObjects): V1PodSpec => d.daemonSet.spec!.template.spec!;
const container = (d: DesiredObjects): V1Container => pod(d).containers[0]!;
const hash = (d: DesiredObjects) =>
  d.daemonSet.spec!.template.metadata!.annotations!['grapevine.dev/config-hash'];

function load(text: string) {
  return loadAgentConfig({
    flags: { config: '/etc/grapevine/agent.yaml' },
    env: { NODE_NAME: 'node-7', POD_IP: '10.1.2.3' },
    readFile: (p) => {
      expect(p).to.equal('/etc/grapevine/agent.yaml');
      return text;
    },
  }).config;
}

function expectOwnedAndLabelled(obj: KubernetesObject, c: GossipCluster): void {
  const m = obj.metadata!;
  expect(m.namespace, obj.kind).to.equal(c.metadata.namespace);
  expect(m.labels, obj.kind).to.include({
    'app.kubernetes.io/name': 'grapevine',
    'app.kubernetes.io/instance': c.metadata.name,
    'app.kubernetes.io/managed-by': 'grapevine-operator',
  });
  expect(m.ownerReferences, obj.kind).to.deep.equal([
    {
      apiVersion: 'grapevine.dev/v1alpha1',
      kind: 'GossipCluster',
      name: c.metadata.name,
      uid: c.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
}

// Config files are YAML; the agent loads that parser only when it is given one.
before(() => loadConfigFileParser());
describe('desiredObjects', () => {
  it('creates SA, ConfigMap, Service, DaemonSet named <name>-agent, iterable in apply order', () => {
    const c = cr('web');
    const d = build({}, c);
    const list = [...d];
    // Issue 8: a NetworkPolicy by default (spec.networkPolicy.enabled).
    expect(list.map((o) => o.kind)).to.deep.equal([
      'ServiceAccount',
      'ConfigMap',
      'Service',
      'DaemonSet',
      'NetworkPolicy',
    ]);
    expect(list.map((o) => o.apiVersion)).to.deep.equal([
      'v1',
      'v1',
      'v1',
      'apps/v1',
      'networking.k8s.io/v1',
    ]);
    for (const o of list) {
      expect(o.metadata!.name).to.equal('web-agent');
      expectOwnedAndLabelled(o, c);
    }
    expect(Object.keys(d)).to.deep.equal([
      'serviceAccount',
      'configMap',
      'service',
      'daemonSet',
      'networkPolicy',
    ]);
    expect(JSON.parse(JSON.stringify(d))).to.deep.equal({ ...d });
  });

  it('is pure: same inputs give equal objects, inputs are not modified', () => {
    const s = spec({ tags: { b: '2', a: '1' }, encryption: { secretRef: { name: 'k' } } });
    const c = cr();
    const before = structuredClone({ s, c });
    const a = desiredObjects(c, s, { serviceMonitorCrdPresent: true });
    const b = desiredObjects(c, s, { serviceMonitorCrdPresent: true });
    expect(a).to.deep.equal(b);
    expect({ s, c }).to.deep.equal(before);
  });

  describe('ConfigMap agent.yaml', () => {
    it('is a valid agent config (schema) that loadAgentConfig reads back field for field', () => {
      const d = build({ logLevel: 'debug', tags: { zone: 'a' }, gossip: { probeIntervalMs: 2000 } });
      const raw = parse(agentYaml(d));
      expect(
        Value.Check(AgentConfigSchema, raw),
        JSON.stringify([...Value.Errors(AgentConfigSchema, raw)]),
      ).to.equal(true);
      const loaded = load(agentYaml(d));
      expect(loaded).to.deep.equal({ ...raw, name: 'node-7', advertise: '10.1.2.3:7946' });
      expect(agentYaml(d)).to.match(/^# Written by grapevine-operator for GossipCluster team-a\/grapevine/);
    });

    it('binds gossip and http on all interfaces, joins through the headless Service, no name/advertise', () => {
      const raw = parse(agentYaml(build({ ports: { gossip: 8001, http: 8002 } })));
      expect(raw.bind).to.equal('0.0.0.0:8001');
      expect(raw.http).to.equal('0.0.0.0:8002');
      expect(raw.joinDns).to.equal('grapevine-agent.team-a.svc.cluster.local');
      expect(raw.join).to.deep.equal([]);
      expect(raw).not.to.have.property('name');
      expect(raw).not.to.have.property('advertise');
      expect(raw).not.to.have.property('keyringFile');
      // Issue 8: the write routes require the mounted API token.
      expect(raw.apiTokenFile).to.equal('/etc/grapevine/api-token/token');
      expect(raw.requireApiToken).to.equal(true);
    });

    it("joins through the Service in the operator's cluster domain (--cluster-domain)", () => {
      const d = desiredObjects(cr(), spec(), {
        serviceMonitorCrdPresent: false,
        clusterDomain: 'corp.example',
      });
      expect(parse(agentYaml(d)).joinDns).to.equal('grapevine-agent.team-a.svc.corp.example');
    });

    it('carries logLevel, tags and every gossip tunable', () => {
      const s = spec({
        logLevel: 'warn',
        tags: { zone: 'z1', role: 'edge' },
        gossip: { gossipFanout: 5, antiEntropy: { mode: 'pull' } },
      });
      const raw = parse(agentYaml(desiredObjects(cr(), s, { serviceMonitorCrdPresent: false })));
      expect(raw.logLevel).to.equal('warn');
      expect(raw.tags).to.deep.equal({ role: 'edge', zone: 'z1' });
      expect(raw.gossip).to.deep.equal({ ...s.gossip, cluster: 'team-a/grapevine' });
      expect(raw.gossip.gossipFanout).to.equal(5);
      expect(raw.gossip.antiEntropy.mode).to.equal('pull');
    });

    it('derives the gossip cluster name from namespace/name when left at the default, keeps an explicit one', () => {
      expect(parse(agentYaml(build({}, cr('a', 'ns')))).gossip.cluster).to.equal('ns/a');
      expect(parse(agentYaml(build({ gossip: { cluster: 'prod' } }))).gossip.cluster).to.equal('prod');
      const long = (n: string) => parse(agentYaml(build({}, cr(n, 'x'.repeat(63))))).gossip.cluster as string;
      const a = long(`a${'b'.repeat(56)}`);
      const b = long(`a${'b'.repeat(55)}c`);
      expect(a.length).to.equal(64);
      expect(b.length).to.equal(64);
      expect(a).not.to.equal(b); // the hash keeps names with a common prefix apart
      expect(a).to.match(/^x{55}-[0-9a-f]{8}$/);
    });

    it('does not depend on the key order of the spec (no spurious ConfigMap updates)', () => {
      const one = spec({ tags: { a: '1', b: '2' }, gossip: { probeIntervalMs: 2000, gossipFanout: 4 } });
      const two = spec({ gossip: { gossipFanout: 4, probeIntervalMs: 2000 }, tags: { b: '2', a: '1' } });
      const text = (s: GossipClusterSpec) =>
        agentYaml(desiredObjects(cr(), s, { serviceMonitorCrdPresent: false }));
      expect(text(two)).to.equal(text(one));
    });
  });

  describe('DaemonSet', () => {
    it('runs one agent container with the config, the downward API env and the ports', () => {
      const d = build({
        image: 'registry.local/grapevine:dev',
        imagePullPolicy: 'Always',
        ports: { gossip: 7000, http: 7001 },
      });
      const ds = d.daemonSet;
      expect(ds.spec!.selector.matchLabels).to.deep.equal({
        'app.kubernetes.io/name': 'grapevine',
        'app.kubernetes.io/instance': 'grapevine',
        'app.kubernetes.io/component': 'agent',
      });
      expect(ds.spec!.template.metadata!.labels).to.include(ds.spec!.selector.matchLabels!);
      expect(pod(d).containers).to.have.length(1);
      const c = container(d);
      expect(c.name).to.equal('agent');
      expect(c.image).to.equal('registry.local/grapevine:dev');
      expect(c.imagePullPolicy).to.equal('Always');
      expect(c.args).to.deep.equal(['agent', '--config', '/etc/grapevine/agent.yaml']);
      expect(c.env).to.deep.equal([
        { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      ]);
      expect(c.ports).to.deep.equal([
        { name: 'gossip-udp', containerPort: 7000, protocol: 'UDP' },
        { name: 'gossip-tcp', containerPort: 7000, protocol: 'TCP' },
        { name: 'http', containerPort: 7001, protocol: 'TCP' },
      ]);
      expect(c.readinessProbe!.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
      expect(c.livenessProbe!.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
      expect(c.volumeMounts).to.deep.equal([{ name: 'config', mountPath: '/etc/grapevine', readOnly: true }]);
      expect(pod(d).volumes).to.deep.equal([
        {
          name: 'config',
          projected: {
            defaultMode: 0o440,
            sources: [
              { configMap: { name: 'grapevine-agent', items: [{ key: 'agent.yaml', path: 'agent.yaml' }] } },
              { secret: { name: 'grapevine-api-token', items: [{ key: 'token', path: 'api-token/token' }] } },
            ],
          },
        },
      ]);
    });

    it('is locked down: non-root with a numeric uid, read-only root, no capabilities, seccomp, no token', () => {
      const d = build();
      expect(pod(d).securityContext).to.deep.equal({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container(d).securityContext).to.deep.equal({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod(d).serviceAccountName).to.equal('grapevine-agent');
      expect(pod(d).automountServiceAccountToken).to.equal(false);
      expect(pod(d).terminationGracePeriodSeconds).to.be.at.least(15);
    });

    it('uses the pod network by default, the node network with ClusterFirstWithHostNet and hostPorts', () => {
      const plain = build();
      expect(pod(plain).hostNetwork).to.equal(false);
      expect(pod(plain).dnsPolicy).to.equal('ClusterFirst');
      const host = build({ hostNetwork: true });
      expect(pod(host).hostNetwork).to.equal(true);
      expect(pod(host).dnsPolicy).to.equal('ClusterFirstWithHostNet');
      expect(container(host).ports!.map((p) => p.hostPort)).to.deep.equal([7946, 7946, 7947]);
    });

    it('passes scheduling and resources through, and omits them when unset', () => {
      const plain = pod(build());
      for (const k of ['nodeSelector', 'tolerations', 'affinity', 'priorityClassName'])
        expect(plain, k).not.to.have.property(k);
      expect(container(build())).not.to.have.property('resources');
      const affinity = {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
      };
      const d = build({
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [
          { operator: 'Exists' },
          { key: 'gpu', operator: 'Equal', value: 'yes', effect: 'NoSchedule' },
        ],
        affinity,
        priorityClassName: 'system-node-critical',
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: 1 } },
      });
      expect(pod(d).nodeSelector).to.deep.equal({ 'kubernetes.io/os': 'linux' });
      expect(pod(d).tolerations).to.deep.equal([
        { operator: 'Exists' },
        { key: 'gpu', operator: 'Equal', value: 'yes', effect: 'NoSchedule' },
      ]);
      expect(pod(d).affinity).to.deep.equal(affinity);
      expect(pod(d).priorityClassName).to.equal('system-node-critical');
      expect(container(d).resources).to.deep.equal({
        requests: { cpu: '50m', memory: '64Mi' },
        limits: { cpu: '1' },
      });
    });

    it('maps the update strategy', () => {
      expect(build().daemonSet.spec!.updateStrategy).to.deep.equal({ type: 'RollingUpdate' });
      expect(
        build({ updateStrategy: { maxUnavailable: '20%' } }).daemonSet.spec!.updateStrategy,
      ).to.deep.equal({
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '20%' },
      });
      expect(
        build({ updateStrategy: { maxUnavailable: 0, maxSurge: '10%' } }).daemonSet.spec!.updateStrategy,
      ).to.deep.equal({
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 0, maxSurge: '10%' },
      });
      expect(build({ updateStrategy: { type: 'OnDelete' } }).daemonSet.spec!.updateStrategy).to.deep.equal({
        type: 'OnDelete',
      });
    });

    it('encryption adds the keyring Secret to the config volume and keyringFile to the config', () => {
      const d = build({ encryption: { secretRef: { name: 'gossip-keys', key: 'keys.txt' } } });
      const sources = pod(d).volumes![0]!.projected!.sources!;
      expect(sources[2]).to.deep.equal({
        secret: { name: 'gossip-keys', items: [{ key: 'keys.txt', path: 'keyring/keys.txt' }] },
      });
      expect(parse(agentYaml(d)).keyringFile).to.equal('/etc/grapevine/keyring/keys.txt');
      expect(load(agentYaml(d)).keyringFile).to.equal('/etc/grapevine/keyring/keys.txt');
      expect(parse(agentYaml(build({ encryption: { secretRef: { name: 'k' } } }))).keyringFile).to.equal(
        '/etc/grapevine/keyring/keyring',
      );
    });

    it('encryption: {} mounts the keyring Secret the operator generates (<name>-keyring)', () => {
      const d = build({ encryption: {} });
      expect(pod(d).volumes![0]!.projected!.sources![2]).to.deep.equal({
        secret: { name: 'grapevine-keyring', items: [{ key: 'keyring', path: 'keyring/keyring' }] },
      });
      expect(parse(agentYaml(d)).keyringFile).to.equal('/etc/grapevine/keyring/keyring');
    });

    it("api.tokenSecretRef mounts the user's token Secret instead of the generated one", () => {
      const d = build({ api: { tokenSecretRef: { name: 'my-token', key: 'bearer' } } });
      expect(pod(d).volumes![0]!.projected!.sources![1]).to.deep.equal({
        secret: { name: 'my-token', items: [{ key: 'bearer', path: 'api-token/token' }] },
      });
    });
  });

  describe('config-hash', () => {
    const base = build();
    it('is a short hex digest in the pod template', () => {
      expect(hash(base)).to.match(/^[0-9a-f]{16}$/);
    });

    it('changes (pods roll) for a port change, even though nothing else in the pod spec needed to', () => {
      expect(hash(build({ ports: { gossip: 7000 } }))).not.to.equal(hash(base));
      expect(hash(build({ ports: { http: 9000 } }))).not.to.equal(hash(base));
    });

    it('changes for the gossip cluster name, the namespace/name it derives from, and encryption on', () => {
      expect(hash(build({ gossip: { cluster: 'other' } }))).not.to.equal(hash(base));
      expect(hash(build({}, cr('grapevine', 'team-b')))).not.to.equal(hash(base));
      expect(hash(build({ encryption: { secretRef: { name: 'k' } } }))).not.to.equal(hash(base));
    });

    it('does NOT change for hot-reloadable tunables, while the ConfigMap does', () => {
      for (const change of [
        { gossip: { probeIntervalMs: 5000 } },
        { gossip: { antiEntropy: { intervalMs: 1000 } } },
        { logLevel: 'debug' },
        { tags: { zone: 'b' } },
      ]) {
        const d = build(change);
        expect(hash(d), JSON.stringify(change)).to.equal(hash(base));
        expect(agentYaml(d), JSON.stringify(change)).not.to.equal(agentYaml(base));
        expect(d.daemonSet, JSON.stringify(change)).to.deep.equal(base.daemonSet); // no rollout at all
      }
      expect(parse(agentYaml(build({ gossip: { probeIntervalMs: 5000 } }))).gossip.probeIntervalMs).to.equal(
        5000,
      );
    });
  });

  it('Service: headless, publishes not-ready agents, gossip UDP+TCP and http, selects the agent pods', () => {
    const d = build({ ports: { gossip: 7100, http: 7101 } });
    expect(d.service.spec).to.deep.equal({
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: d.daemonSet.spec!.selector.matchLabels,
      ports: [
        { name: 'gossip-udp', protocol: 'UDP', port: 7100, targetPort: 7100 },
        { name: 'gossip-tcp', protocol: 'TCP', port: 7100, targetPort: 7100 },
        { name: 'http', protocol: 'TCP', port: 7101, targetPort: 7101 },
      ],
    });
    const podLabels = d.daemonSet.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(d.service.spec!.selector!)) expect(podLabels[k]).to.equal(v);
  });

  it('ServiceAccount: no token automounted (agents need no RBAC)', () => {
    expect(build().serviceAccount.automountServiceAccountToken).to.equal(false);
  });

  describe('ServiceMonitor', () => {
    const sm = {
      metrics: { serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prom' } } },
    };
    it('exists only when enabled AND its CRD is present', () => {
      expect(build({}, cr(), false).serviceMonitor).to.equal(undefined);
      expect(build({}, cr(), true).serviceMonitor).to.equal(undefined);
      expect(build(sm, cr(), false).serviceMonitor).to.equal(undefined);
      expect(build(sm, cr(), true).serviceMonitor).not.to.equal(undefined);
      expect([...build(sm, cr(), false)].map((o) => o.kind)).not.to.include('ServiceMonitor');
    });

    it('scrapes /metrics on the http port of the agent Service, with the user labels for Prometheus', () => {
      const c = cr();
      const d = build(sm, c, true);
      const m = d.serviceMonitor!;
      expect(m.apiVersion).to.equal('monitoring.coreos.com/v1');
      expect(m.kind).to.equal('ServiceMonitor');
      expect([...d].at(-1)).to.equal(m);
      expectOwnedAndLabelled(m, c);
      expect(m.metadata!.labels).to.include({ release: 'prom' });
      expect(m.spec).to.deep.equal({
        selector: { matchLabels: d.daemonSet.spec!.selector.matchLabels },
        namespaceSelector: { matchNames: ['team-a'] },
        endpoints: [{ port: 'http', path: '/metrics', interval: '15s' }],
      });
      for (const [k, v] of Object.entries(m.spec.selector.matchLabels))
        expect(d.service.metadata!.labels![k]).to.equal(v);
    });

    it('user labels cannot override the operator labels', () => {
      const d = build(
        { metrics: { serviceMonitor: { enabled: true, labels: { 'app.kubernetes.io/instance': 'x' } } } },
        cr(),
        true,
      );
      expect(d.serviceMonitor!.metadata!.labels!['app.kubernetes.io/instance']).to.equal('grapevine');
    });
  });

  it('property: any spec TypeBox accepts gives owned, labelled objects; valid ones a loadable agent config', () => {
    registerKubernetesKinds();
    const ms = (min: number, max: number) => fc.option(fc.integer({ min, max }), { nil: undefined });
    const arbSpec = fc.record(
      {
        ports: fc.record({
          gossip: fc.integer({ min: 1, max: 65535 }),
          http: fc.integer({ min: 1, max: 65535 }),
        }),
        hostNetwork: fc.boolean(),
        logLevel: fc.constantFrom('trace', 'debug', 'info', 'warn', 'error', 'fatal'),
        tags: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), {
          maxKeys: 3,
        }),
        gossip: fc.record(
          {
            cluster: fc.string({ minLength: 1, maxLength: 64 }),
            probeIntervalMs: ms(10, 60_000),
            probeTimeoutMs: ms(5, 60_000),
            gossipFanout: ms(1, 64),
          },
          { requiredKeys: [] },
        ),
        encryption: fc.record({
          secretRef: fc.record({
            name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
            key: fc.stringMatching(/^[a-zA-Z0-9._-]{1,20}$/),
          }),
        }),
        metrics: fc.record({ serviceMonitor: fc.record({ enabled: fc.boolean() }) }),
        updateStrategy: fc.record({ type: fc.constantFrom('RollingUpdate', 'OnDelete') }),
        tolerations: fc.array(
          fc.record(
            { operator: fc.constantFrom('Exists', 'Equal'), key: fc.stringMatching(/^[a-z]{0,8}$/) },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    );
    const arbName = fc.stringMatching(/^[a-z]([-a-z0-9]{0,55}[a-z0-9])?$/);
    const arbNs = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    let checked = 0;
    fc.assert(
      fc.property(arbSpec, arbName, arbNs, fc.boolean(), (input, name, ns, crdPresent) => {
        const s = Value.Default(GossipClusterSpecSchema, structuredClone(input));
        fc.pre(Value.Check(GossipClusterSpecSchema, s));
        const c = cr(name, ns);
        const d = desiredObjects(c, s as GossipClusterSpec, { serviceMonitorCrdPresent: crdPresent });
        const objects = [...d];
        expect(objects.length).to.equal(
          5 + (crdPresent && (s as GossipClusterSpec).metrics.serviceMonitor.enabled ? 1 : 0),
        );
        for (const o of objects) expectOwnedAndLabelled(o, c);
        if (resolveSpec(input).ok) {
          const loaded = load(agentYaml(d));
          expect(loaded.gossip.cluster.length).to.be.within(1, 64);
          checked++;
        }
      }),
      { numRuns: 300 },
    );
    expect(checked).to.be.greaterThan(50);
  });
});
