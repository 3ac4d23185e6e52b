// client-node's models rename one JSON field we use: NetworkPolicy rules' `from` is `_from` in
// TypeScript (a reserved word). Objects listed through client-node carry `_from`, objects from a
// watch carry `from`, and our desired objects are typed (`_from`; the serializer writes `from`).
// Comparisons run on the wire spelling, so the same object never looks different to itself.
const RENAMED: Record<string, string> = { _from: 'from' };

export function wireNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wireNames);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [RENAMED[k] ?? k, wireNames(v)]),
  );
}
