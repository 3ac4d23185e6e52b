// Issue 9, item 3: specs the CRD used to accept but that can never run are refused at the door —
// by the real kube-apiserver v1.31 (schema and CEL from crds/) — and, for an apiserver that stored
// one anyway (an older CRD), by the operator's own check with the field path (resolveSpec).
import { expect } from 'chai';
import { gossipClusterCrd } from '../../src/operator/api/crd.js';
import { GROUP, PLURAL, VERSION } from '../../src/operator/api/gossipcluster-schema.js';
import { resolveSpec } from '../../src/operator/api/resolve-spec.js';
import type { JsonSchema } from '../../src/operator/api/structural-schema.js';
import { type KubeEnv, startKubeEnv } from '../support/kube-env.js';
import { skipWithoutKubeBinaries } from '../support/kube-env-skip.js';
import { kubeRaw, putCrd } from '../support/kube-raw.js';
import { eventually } from '../support/process-cluster.js';

const NS = 'default';
const tags = (n: number, value = 'v') =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, value]));

/** Each case: a spec that can never run, the field the apiserver must name, and what resolveSpec names. */
const INVALID: ReadonlyArray<{
  what: string;
  spec: Record<string, unknown>;
  apiserver: RegExp;
  operator: RegExp;
}> = [
  {
    what: 'resources.limits.cpu: lots',
    spec: { resources: { limits: { cpu: 'lots' } } },
    apiserver: /spec\.resources\.limits\.cpu/,
    operator: /spec\.resources\.limits\.cpu/,
  },
  {
    what: 'a negative memory request',
    spec: { resources: { requests: { memory: '-1Gi' } } },
    apiserver: /spec\.resources\.requests\.memory/,
    operator: /spec\.resources\.requests\.memory/,
  },
  {
    what: 'maxUnavailable 0 (the DaemonSet has no surge: a rollout could never start)',
    spec: { updateStrategy: { maxUnavailable: 0 } },
    apiserver: /spec\.updateStrategy\.maxUnavailable/,
    operator: /spec\.updateStrategy\.maxUnavailable/,
  },
  {
    what: 'maxUnavailable 0%',
    spec: { updateStrategy: { maxUnavailable: '0%' } },
    apiserver: /spec\.updateStrategy\.maxUnavailable/,
    operator: /spec\.updateStrategy\.maxUnavailable/,
  },
  {
    what: 'a negative maxUnavailable',
    spec: { updateStrategy: { maxUnavailable: -1 } },
    apiserver: /spec\.updateStrategy\.maxUnavailable/,
    operator: /spec\.updateStrategy\.maxUnavailable/,
  },
  {
    what: 'maxUnavailable 0 with maxSurge 0 (neither stops nor adds an agent: a rollout could never start)',
    spec: { updateStrategy: { maxUnavailable: 0, maxSurge: 0 } },
    apiserver: /spec\.updateStrategy\.maxUnavailable.*maxSurge/,
    operator: /spec\.updateStrategy\.maxUnavailable: .*maxSurge/,
  },
  {
    what: 'maxUnavailable 0% with maxSurge 0%',
    spec: { updateStrategy: { maxUnavailable: '0%', maxSurge: '0%' } },
    apiserver: /spec\.updateStrategy\.maxUnavailable/,
    operator: /spec\.updateStrategy\.maxUnavailable/,
  },
  {
    what: 'a negative maxSurge',
    spec: { updateStrategy: { maxSurge: -1 } },
    apiserver: /spec\.updateStrategy\.maxSurge/,
    operator: /spec\.updateStrategy\.maxSurge/,
  },
  {
    what: 'maxSurge over 100%',
    spec: { updateStrategy: { maxSurge: '101%' } },
    apiserver: /spec\.updateStrategy\.maxSurge/,
    operator: /spec\.updateStrategy\.maxSurge/,
  },
  {
    what: 'maxSurge with type OnDelete',
    spec: { updateStrategy: { type: 'OnDelete', maxUnavailable: 0, maxSurge: 1 } },
    apiserver: /spec\.updateStrategy\.maxSurge.*RollingUpdate/,
    operator: /spec\.updateStrategy\.maxSurge: .*RollingUpdate/,
  },
  {
    what: 'maxSurge above 0 with maxUnavailable unset (the DaemonSet default 1: both above 0)',
    spec: { updateStrategy: { maxSurge: 1 } },
    apiserver: /spec\.updateStrategy\.maxSurge.*maxUnavailable: 0/,
    operator: /spec\.updateStrategy\.maxSurge: .*maxUnavailable: 0/,
  },
  {
    what: 'maxSurge and maxUnavailable both above 0',
    spec: { updateStrategy: { maxUnavailable: '10%', maxSurge: 2 } },
    apiserver: /spec\.updateStrategy\.maxSurge/,
    operator: /spec\.updateStrategy\.maxSurge/,
  },
  {
    what: 'maxSurge above 0 with hostNetwork (the surge agent needs the same host ports)',
    spec: { hostNetwork: true, updateStrategy: { maxUnavailable: 0, maxSurge: '25%' } },
    apiserver: /spec\.updateStrategy\.maxSurge.*hostNetwork/,
    operator: /spec\.updateStrategy\.maxSurge: .*hostNetwork/,
  },
  {
    what: 'tolerationSeconds without effect NoExecute',
    spec: {
      tolerations: [{ key: 'a', operator: 'Equal', value: 'b', effect: 'NoSchedule', tolerationSeconds: 30 }],
    },
    apiserver: /spec\.tolerations\[0\]\.tolerationSeconds.*NoExecute/,
    operator: /spec\.tolerations\[0\]\.tolerationSeconds: .*NoExecute/,
  },
  {
    what: 'a toleration with operator Exists and a value',
    spec: { tolerations: [{ key: 'a', operator: 'Exists', value: 'b' }] },
    apiserver: /spec\.tolerations\[0\]\.value/,
    operator: /spec\.tolerations\[0\]\.value/,
  },
  {
    what: 'an invalid nodeSelector key',
    spec: { nodeSelector: { 'bad key!': 'x' } },
    apiserver: /spec\.nodeSelector.*label key/,
    operator: /spec\.nodeSelector\["bad key!"\]/,
  },
  {
    what: 'an invalid nodeSelector value',
    spec: { nodeSelector: { 'kubernetes.io/os': 'not valid!' } },
    apiserver: /spec\.nodeSelector/,
    operator: /spec\.nodeSelector/,
  },
  {
    what: 'secretRef.key: ../../etc/passwd',
    spec: { encryption: { secretRef: { name: 'keys', key: '../../etc/passwd' } } },
    apiserver: /spec\.encryption\.secretRef\.key/,
    operator: /spec\.encryption\.secretRef\.key/,
  },
  {
    what: 'a Secret name like Bad_Name',
    spec: { encryption: { secretRef: { name: 'Bad_Name' } } },
    apiserver: /spec\.encryption\.secretRef\.name/,
    operator: /spec\.encryption\.secretRef\.name/,
  },
  {
    what: 'an API token Secret name like Bad_Name',
    spec: { api: { tokenSecretRef: { name: 'Bad_Name' } } },
    apiserver: /spec\.api\.tokenSecretRef\.name/,
    operator: /spec\.api\.tokenSecretRef\.name/,
  },
  {
    what: 'the same port for gossip and http',
    spec: { ports: { gossip: 7946, http: 7946 } },
    apiserver: /spec\.ports\.http.*different ports/,
    operator: /spec\.ports\.http: .*different ports/,
  },
  {
    what: 'affinity: {nodeAffinity: "yes"} (was pruned silently, then re-applied forever)',
    spec: { affinity: { nodeAffinity: 'yes' } },
    apiserver: /spec\.affinity\.nodeAffinity/,
    operator: /spec\.affinity\.nodeAffinity/,
  },
  {
    what: 'an affinity with an unknown operator',
    spec: {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Maybe' }] }],
          },
        },
      },
    },
    apiserver: /operator/,
    operator: /operator/,
  },
  {
    what: 'an invalid image reference',
    spec: { image: 'Not A Valid::Image' },
    apiserver: /spec\.image/,
    operator: /spec\.image/,
  },
  {
    what: 'an invalid priorityClassName',
    spec: { priorityClassName: 'Bad_Name' },
    apiserver: /spec\.priorityClassName/,
    operator: /spec\.priorityClassName/,
  },
  {
    what: 'tags over gossip.maxTagBytes (agents would refuse them at start)',
    spec: { tags: { a: 'x'.repeat(400), b: 'y'.repeat(200) } },
    apiserver: /spec\.tags.*maxTagBytes/,
    operator: /spec\.tags: .*maxTagBytes/,
  },
  {
    what: 'more than 64 tags (the codec carries no more)',
    spec: { tags: tags(65, ''), gossip: { maxTagBytes: 4096 } },
    apiserver: /spec\.tags/,
    operator: /spec\.tags/,
  },
];

/** Valid neighbours of those cases: accepted by both. */
const VALID: ReadonlyArray<Record<string, unknown>> = [
  { resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', memory: 64 } } },
  { updateStrategy: { maxUnavailable: 1 } },
  { updateStrategy: { maxUnavailable: '25%' } },
  { updateStrategy: { maxUnavailable: 0, maxSurge: 1 } },
  { updateStrategy: { maxUnavailable: '0%', maxSurge: '100%' } },
  { updateStrategy: { maxSurge: 0 } },
  { hostNetwork: true, updateStrategy: { maxSurge: 0, maxUnavailable: 2 } },
  { tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }] },
  { tolerations: [{ operator: 'Exists' }] },
  { nodeSelector: { 'kubernetes.io/os': 'linux', role: '' } },
  { encryption: { secretRef: { name: 'gossip.keys', key: '.keyring' } } },
  { encryption: {} },
  { image: `registry.local:5000/team/grapevine:1.2.3@sha256:${'a'.repeat(64)}` },
  { tags: tags(64, ''), gossip: { maxTagBytes: 4096 } },
];

describe('GossipCluster validation: what can never run is refused (issue 9)', () => {
  describe('by the operator itself (resolveSpec), with the field path', () => {
    for (const c of INVALID) {
      it(c.what, () => {
        const r = resolveSpec(c.spec);
        expect(r.ok, JSON.stringify(c.spec)).to.equal(false);
        if (!r.ok) expect(r.problems.join('\n')).to.match(c.operator);
      });
    }

    it('a request above its limit (only the operator checks it): the field path and both values', () => {
      const r = resolveSpec({ resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } });
      expect(r.ok).to.equal(false);
      if (!r.ok)
        expect(r.problems).to.deep.equal([
          'spec.resources.requests.memory: must be at most the limit (512Mi), got 1Gi',
        ]);
      expect(resolveSpec({ resources: { requests: { cpu: '500m' }, limits: { cpu: 1 } } }).ok).to.equal(true);
    });

    it('still accepts the valid neighbours of those cases', () => {
      for (const spec of VALID) {
        const r = resolveSpec(spec);
        expect(r.ok, `${JSON.stringify(spec)}: ${r.ok ? '' : r.problems.join('; ')}`).to.equal(true);
      }
    });
  });

  it('kubectl explain: every field, spec and status, has a description, and every defaulted field states its default', () => {
    const root = (
      gossipClusterCrd() as { spec: { versions: Array<{ schema: { openAPIV3Schema: JsonSchema } }> } }
    ).spec.versions[0]!.schema.openAPIV3Schema;
    const missing: string[] = [];
    const noDefault: string[] = [];
    let defaulted = 0;
    const walk = (node: JsonSchema, path: string) => {
      const description = typeof node.description === 'string' ? node.description : '';
      // metadata is the apiserver's ObjectMeta: a CRD may not describe it (the apiserver refuses that).
      if (description.trim() === '' && path !== '(root).metadata') missing.push(path);
      if ('default' in node) {
        defaulted++;
        // The value itself, as JSON (an object default of {} is stated as such).
        if (!description.includes(`Default: ${JSON.stringify(node.default)}`))
          noDefault.push(`${path} (default ${JSON.stringify(node.default)}): ${description}`);
      }
      for (const [k, v] of Object.entries((node.properties as Record<string, JsonSchema>) ?? {}))
        walk(v, `${path}.${k}`);
      for (const [key, suffix] of [
        ['items', '[]'],
        ['additionalProperties', '.*'],
      ] as const) {
        const child = node[key] as JsonSchema | undefined;
        if (child?.properties) walk(child, `${path}${suffix}`);
      }
    };
    walk(root, '(root)');
    expect(missing, 'fields without a description').to.deep.equal([]);
    expect(noDefault, 'defaulted fields whose description does not state the default').to.deep.equal([]);
    const props = (n: JsonSchema) => n.properties as Record<string, JsonSchema>;
    const spec = props(root).spec!;
    expect(props(props(spec).ports!).gossip).to.include({ default: 7946 });
    expect(props(props(spec).ports!).gossip!.description).to.match(/Default: 7946\.$/);
    // The walk did reach the status and the defaults (it would pass vacuously otherwise).
    const status = props(root).status!;
    expect(Object.keys(props(status))).to.include.members(['conditions', 'members', 'lastConvergenceTime']);
    expect(props(props(status).conditions!.items as JsonSchema).lastTransitionTime!.description).to.be.a(
      'string',
    );
    expect(defaulted).to.be.at.least(30);
  });

  describe('by the real kube-apiserver v1.31 (kubectl apply is refused)', function () {
    this.timeout(120_000);
    let env: KubeEnv;
    const create = (name: string, spec: unknown) =>
      kubeRaw(env, 'POST', `/apis/${GROUP}/${VERSION}/namespaces/${NS}/${PLURAL}`, {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'GossipCluster',
        metadata: { name },
        spec,
      });

    before(async function () {
      skipWithoutKubeBinaries(this, ['etcd', 'kubeApiserver']);
      env = await startKubeEnv({ controllerManager: false });
      await putCrd(env, gossipClusterCrd() as { metadata: { name: string } });
      // Established: creating a first valid object works.
      expect(await eventually(async () => (await create('probe', {})).status === 201, 20_000)).to.equal(true);
    });

    after(async () => {
      await env?.stop();
    });

    INVALID.forEach((c, i) => {
      it(c.what, async () => {
        const res = await create(`bad-${i}`, c.spec);
        const message = (res.body as { message?: string })?.message ?? '';
        expect(res.status, message).to.equal(422);
        expect(message).to.match(c.apiserver);
      });
    });

    it('accepts the valid neighbours of those cases', async () => {
      for (const [i, spec] of VALID.entries()) {
        const res = await create(`good-${i}`, spec);
        expect(res.status, `${JSON.stringify(spec)}: ${JSON.stringify(res.body)}`).to.equal(201);
      }
    });

    it('accepts an example-sized valid spec using every embedded core type', async () => {
      const res = await create('full', {
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: 1 } },
        updateStrategy: { maxUnavailable: '25%' },
        tolerations: [
          { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
        ],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }] }],
            },
          },
        },
        encryption: { secretRef: { name: 'gossip-keys' } },
        networkPolicy: { httpFrom: [{ namespaceSelector: { matchLabels: { team: 'monitoring' } } }] },
        tags: { zone: 'z1' },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      const stored = (res.body as { spec: { affinity: unknown } }).spec;
      expect(stored.affinity).to.have.nested.property(
        'nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator',
        'In',
      );
    });
  });
});
