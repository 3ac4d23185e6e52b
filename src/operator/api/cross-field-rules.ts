// Rules that span several fields, written once as CEL for the apiserver (x-kubernetes-validations)
// next to the JavaScript the operator runs itself (apiservers without CEL, files checked offline).
// `at` is the property path of the object the rule sits on; CEL's `self` is that object.
import { LIMITS } from '../../agent/wire/limits.js';
import { MAX_NAME_LENGTH, NAME_MESSAGE, NAME_PATTERN } from './cr-name.js';
import type { GossipClusterSpec } from './gossipcluster-schema.js';
import { QUALIFIED_NAME_PATTERN } from './patterns.js';

export interface CrossFieldRule {
  /** Property path of the object the rule sits on; `[]` steps into a list's items. */
  readonly at: readonly string[];
  readonly rule: string;
  readonly message: string;
  /** The field the apiserver reports the error on, relative to `at`. */
  readonly fieldPath?: string;
  /**
   * The same rule in JavaScript for the operator's own check (resolveSpec), over a spec with
   * defaults filled in: the field paths (`spec.x.y`) that break it. Rules without one are checked
   * elsewhere (resolve-spec.ts) or concern metadata.
   */
  readonly check?: (spec: GossipClusterSpec) => string[];
}

/** Encoded size of tags as the agent counts it (gossip-node.ts checkTags): a length byte each. */
export function tagBytes(tags: Record<string, string>): number {
  let size = 0;
  for (const [k, v] of Object.entries(tags)) size += 2 + Buffer.byteLength(k) + Buffer.byteLength(v);
  return size;
}

const UNAVAILABLE = 'spec.updateStrategy.maxUnavailable';
const SURGE = 'spec.updateStrategy.maxSurge';
/** CEL: the spellings of a zero rollingUpdate amount (the schema's pattern admits no others). */
const ZERO = "['0', '0%']";
const isZero = (amount: number | string | undefined) =>
  amount !== undefined && ['0', '0%'].includes(String(amount));

const indexed = <T>(list: readonly T[] | undefined, bad: (t: T) => boolean, path: string) =>
  (list ?? []).flatMap((t, i) => (bad(t) ? [`${path}[${i}]`] : []));

export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  {
    // Mirrors engineConfigProblems(); has() keeps the rule safe if a default is ever removed.
    at: ['spec', 'gossip'],
    rule: '!has(self.probeTimeoutMs) || !has(self.probeIntervalMs) || self.probeTimeoutMs < self.probeIntervalMs',
    message: 'probeTimeoutMs must be less than probeIntervalMs',
    fieldPath: '.probeTimeoutMs',
  },
  {
    at: ['spec', 'updateStrategy'],
    rule: "!has(self.maxUnavailable) || !has(self.type) || self.type == 'RollingUpdate'",
    message: 'maxUnavailable applies only to type RollingUpdate',
    fieldPath: '.maxUnavailable',
  },
  {
    at: ['spec', 'updateStrategy'],
    rule: "!has(self.maxSurge) || !has(self.type) || self.type == 'RollingUpdate'",
    message: 'maxSurge applies only to type RollingUpdate',
    fieldPath: '.maxSurge',
  },
  {
    // As the DaemonSet API (exactly one of the two above 0): a rollout that may neither stop an old
    // agent nor start a new one first could never begin. Unset, maxUnavailable is 1 and maxSurge 0.
    at: ['spec', 'updateStrategy'],
    rule: `!has(self.maxUnavailable) || !(string(self.maxUnavailable) in ${ZERO}) || (has(self.maxSurge) && !(string(self.maxSurge) in ${ZERO}))`,
    message: 'maxUnavailable may be 0 only with a maxSurge above 0 (the rollout could never start)',
    fieldPath: '.maxUnavailable',
    check: (s) =>
      isZero(s.updateStrategy.maxUnavailable) &&
      (s.updateStrategy.maxSurge === undefined || isZero(s.updateStrategy.maxSurge))
        ? [UNAVAILABLE]
        : [],
  },
  {
    at: ['spec', 'updateStrategy'],
    rule: `!has(self.maxSurge) || string(self.maxSurge) in ${ZERO} || (has(self.maxUnavailable) && string(self.maxUnavailable) in ${ZERO})`,
    message:
      'maxSurge above 0 needs maxUnavailable: 0 (a DaemonSet rollout either stops the old agent first or starts the new one first, never both; an unset maxUnavailable is 1)',
    fieldPath: '.maxSurge',
    check: (s) =>
      s.updateStrategy.maxSurge !== undefined &&
      !isZero(s.updateStrategy.maxSurge) &&
      !isZero(s.updateStrategy.maxUnavailable)
        ? [SURGE]
        : [],
  },
  {
    at: ['spec'],
    rule: `!has(self.hostNetwork) || !self.hostNetwork || !has(self.updateStrategy) || !has(self.updateStrategy.maxSurge) || string(self.updateStrategy.maxSurge) in ${ZERO}`,
    message:
      "maxSurge must be 0 with hostNetwork: the surge agent would need the host ports its node's old agent holds, so it could never be scheduled",
    fieldPath: '.updateStrategy.maxSurge',
    check: (s) =>
      s.hostNetwork && s.updateStrategy.maxSurge !== undefined && !isZero(s.updateStrategy.maxSurge)
        ? [SURGE]
        : [],
  },
  {
    at: ['spec', 'ports'],
    rule: '!has(self.gossip) || !has(self.http) || self.gossip != self.http',
    message: 'gossip and http must be different ports',
    fieldPath: '.http',
    check: (s) => (s.ports.gossip === s.ports.http ? ['spec.ports.http'] : []),
  },
  {
    at: ['spec', 'nodeSelector'],
    rule: `self.all(k, size(k) <= 317 && k.matches('${QUALIFIED_NAME_PATTERN.replace(/\\/g, '\\\\')}'))`,
    message:
      'every key must be a label key: an optional DNS prefix and "/", then up to 63 characters of letters, digits, "-", "_" and "." (e.g. kubernetes.io/os)',
    check: (s) =>
      Object.keys(s.nodeSelector ?? {})
        .filter((k) => k.length > 317 || !new RegExp(QUALIFIED_NAME_PATTERN).test(k))
        .map((k) => `spec.nodeSelector[${JSON.stringify(k)}]`),
  },
  {
    at: ['spec', 'tolerations', '[]'],
    rule: "!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",
    message: 'tolerationSeconds applies only to effect NoExecute',
    fieldPath: '.tolerationSeconds',
    check: (s) =>
      indexed(
        s.tolerations,
        (t) => t.tolerationSeconds !== undefined && t.effect !== 'NoExecute',
        'spec.tolerations',
      ).map((p) => `${p}.tolerationSeconds`),
  },
  {
    at: ['spec', 'tolerations', '[]'],
    rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
    message: 'value must be empty when operator is Exists',
    fieldPath: '.value',
    check: (s) =>
      indexed(s.tolerations, (t) => t.operator === 'Exists' && !!t.value, 'spec.tolerations').map(
        (p) => `${p}.value`,
      ),
  },
  {
    at: ['spec', 'tolerations', '[]'],
    rule: "(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",
    message: 'an empty key matches every taint and requires operator Exists',
    fieldPath: '.operator',
    check: (s) =>
      indexed(s.tolerations, (t) => !t.key && t.operator !== 'Exists', 'spec.tolerations').map(
        (p) => `${p}.operator`,
      ),
  },
  {
    at: ['spec'],
    rule: `!has(self.tags) || size(self.tags) <= ${LIMITS.tagEntries}`,
    message: `at most ${LIMITS.tagEntries} tags (the gossip codec carries no more)`,
    fieldPath: '.tags',
    check: (s) => (Object.keys(s.tags).length > LIMITS.tagEntries ? ['spec.tags'] : []),
  },
  {
    at: ['spec'],
    rule: '!has(self.tags) || !has(self.gossip) || !has(self.gossip.maxTagBytes) || self.tags.map(k, 2 + size(bytes(k)) + size(bytes(self.tags[k]))).sum() <= self.gossip.maxTagBytes',
    message:
      'tags take more than gossip.maxTagBytes encoded (2 bytes per tag plus the UTF-8 bytes of keys and values); agents would refuse them at start',
    fieldPath: '.tags',
    check: (s) => (tagBytes(s.tags) > s.gossip.maxTagBytes ? ['spec.tags'] : []),
  },
  {
    at: [],
    rule: `size(self.metadata.name) <= ${MAX_NAME_LENGTH} && self.metadata.name.matches('${NAME_PATTERN}')`,
    // No fieldPath: the CRD schema does not describe metadata's fields, so none can be named.
    message: `metadata.name ${NAME_MESSAGE}`,
  },
];
