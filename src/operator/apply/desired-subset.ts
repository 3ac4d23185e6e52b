// Whether a live object already holds everything we want in it. The apiserver adds defaults and
// status, so "equal" would never hold; "every field we set has our value" is what matters. A false
// answer means drift (or a change of ours) and leads to one server-side apply.

export function holdsDesired(desired: unknown, live: unknown): boolean {
  return firstDifference(desired, live) === undefined;
}

/** The path of the first field whose live value is not ours (for logs), or undefined when none. */
export function firstDifference(desired: unknown, live: unknown, path = ''): string | undefined {
  // The apiserver omits zero values (omitempty): hostNetwork: false is stored as no field at all.
  if (live === undefined && isZero(desired)) return undefined;
  if (desired === null || typeof desired !== 'object') {
    return desired === live || sameScalar(desired, live) ? undefined : path || '(root)';
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return path || '(root)';
    for (let i = 0; i < desired.length; i++) {
      const d = firstDifference(desired[i], live[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return path || '(root)';
  const l = live as Record<string, unknown>;
  for (const [k, v] of Object.entries(desired as Record<string, unknown>)) {
    if (v === undefined) continue;
    const d = firstDifference(v, l[k], path ? `${path}.${k}` : k);
    if (d !== undefined) return d;
  }
  return undefined;
}

function isZero(v: unknown): boolean {
  if (v === false || v === 0 || v === '' || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && v !== null && Object.values(v).every((x) => x === undefined || isZero(x));
}

/**
 * Scalars the apiserver may store in another spelling: int-or-string numbers (maxUnavailable: 1 vs
 * "1") and resource quantities, which it canonicalises (0.5 → 500m, 1024Mi → 1Gi).
 */
function sameScalar(a: unknown, b: unknown): boolean {
  const kinds = ['number', 'string'];
  if (!kinds.includes(typeof a) || !kinds.includes(typeof b)) return false;
  if (String(a) === String(b)) return true;
  const qa = quantity(String(a));
  const qb = quantity(String(b));
  return qa !== undefined && qb !== undefined && Math.abs(qa - qb) <= 1e-9 * Math.max(1, Math.abs(qa));
}

const SUFFIX: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a Kubernetes quantity ("500m", "1Gi", "1e3", "2"), or undefined if it is not one. */
export function quantity(s: string): number | undefined {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/.exec(s);
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * (SUFFIX[m[3] ?? ''] ?? 1);
}
