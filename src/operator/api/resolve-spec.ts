// The operator's own reading of a GossipCluster spec: fill the schema defaults, validate with the
// same TypeBox schema the CRD is generated from, then apply the cross-field rules that the CRD
// expresses in CEL — so an apiserver without CEL, or a file checked offline, gets the same answers.
import { Value } from '@sinclair/typebox/value';
import { engineConfigProblems } from '../../agent/config/engine-schema.js';
import { schemaProblems } from '../../agent/config/schema-problems.js';
import { quantity } from '../apply/desired-subset.js';
import { CROSS_FIELD_RULES } from './cross-field-rules.js';
import { type GossipClusterSpec, GossipClusterSpecSchema } from './gossipcluster-schema.js';
import { registerKubernetesKinds } from './k8s-schema-kinds.js';

export type ResolvedSpec = { ok: true; spec: GossipClusterSpec } | { ok: false; problems: string[] };

/** Never throws for a bad spec: each problem is one line naming the field (`spec.gossip.x: …`). */
export function resolveSpec(spec: unknown): ResolvedSpec {
  registerKubernetesKinds();
  if (spec !== undefined && spec !== null && (typeof spec !== 'object' || Array.isArray(spec)))
    return {
      ok: false,
      problems: [`spec: must be a mapping, got ${Array.isArray(spec) ? 'a list' : typeof spec}`],
    };
  const withDefaults: unknown = Value.Default(GossipClusterSpecSchema, structuredClone(spec ?? {}));
  const problems = schemaProblems(GossipClusterSpecSchema, withDefaults).map(
    (p) => `${p.path === '(root)' ? 'spec' : `spec.${p.path}`}: ${kubernetesReason(p.path, p.reason)}`,
  );
  if (problems.length > 0) return { ok: false, problems };
  const resolved = withDefaults as GossipClusterSpec;
  const cross = [
    ...gossipProblems(resolved),
    ...updateStrategyProblems(resolved),
    ...ruleProblems(resolved),
    ...resourceProblems(resolved),
  ];
  return cross.length > 0 ? { ok: false, problems: cross } : { ok: true, spec: resolved };
}

// schemaProblems knows no words for the Kubernetes-only kinds (k8s-schema-kinds.ts): say what fits.
function kubernetesReason(path: string, reason: string): string {
  const got = reason.match(/^must be valid(, got .*)$/)?.[1];
  if (got === undefined) return reason;
  return path === 'affinity'
    ? `must be a mapping (a core/v1 Affinity)${got}`
    : `must be a number or text (e.g. 100m, 128Mi, 25%)${got}`;
}

// The CEL rules that have a JavaScript twin (cross-field-rules.ts): one line per failing field.
function ruleProblems(spec: GossipClusterSpec): string[] {
  return CROSS_FIELD_RULES.flatMap((r) =>
    r.check ? r.check(spec).map((path) => `${path}: ${r.message}`) : [],
  );
}

// Only the operator checks this one (CEL cannot compare int-or-string quantities portably): the Pod
// API refuses a request above its limit, so every apply of the DaemonSet would fail.
function resourceProblems(spec: GossipClusterSpec): string[] {
  const { limits = {}, requests = {} } = spec.resources ?? {};
  return Object.entries(requests).flatMap(([name, request]) => {
    const limit = limits[name];
    if (limit === undefined) return [];
    const [r, l] = [quantity(String(request)), quantity(String(limit))];
    return r !== undefined && l !== undefined && r > l
      ? [`spec.resources.requests.${name}: must be at most the limit (${limit}), got ${request}`]
      : [];
  });
}

function gossipProblems(spec: GossipClusterSpec): string[] {
  const g = spec.gossip;
  return engineConfigProblems(g).map((p) =>
    p.startsWith('probeTimeoutMs:')
      ? `spec.gossip.${p} (probeTimeoutMs=${g.probeTimeoutMs}, probeIntervalMs=${g.probeIntervalMs})`
      : `spec.gossip.${p}`,
  );
}

// The JavaScript twins of the two "applies only to type RollingUpdate" CEL rules, naming the type.
function updateStrategyProblems(spec: GossipClusterSpec): string[] {
  const s = spec.updateStrategy;
  if (s.type === 'RollingUpdate') return [];
  return (['maxUnavailable', 'maxSurge'] as const)
    .filter((field) => s[field] !== undefined)
    .map((field) => `spec.updateStrategy.${field}: applies only to type RollingUpdate, got type ${s.type}`);
}
