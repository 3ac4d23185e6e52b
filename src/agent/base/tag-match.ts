// Anchored regular expressions over tags and names, as Serf's `members -tag` and query filters use
// them: the whole value must match. Shared by the CLI's member filter and the core's query filter.
// RE2 syntax and semantics (re2js), as in Serf, whose Go regexp is RE2: matching is linear in the
// input, so a pattern from a peer's query cannot stall the agent by backtracking (with JavaScript's
// RegExp, `(a+)+b` against a long run of `a`s takes exponential time); backreferences and lookaround
// are refused as invalid.
//
// re2js costs ~2.6 MB RSS once loaded, and most agents never see a tag filter: it is loaded by
// loadTagMatcher() (a dynamic import, its own chunk in the bundle) only when a tag filter is first
// needed — a query sent or received with one, or `grapevine members/query` run — so compiling is
// synchronous only after that promise has resolved.
import type { RE2JS } from 're2js';

/** A compiled anchored pattern. */
export interface AnchoredPattern {
  test(value: string): boolean;
}

let engine: typeof RE2JS | undefined;
let loading: Promise<void> | undefined;

/** Loads the RE2 engine once; anchoredRegex works once this has resolved. */
export function loadTagMatcher(): Promise<void> {
  loading ??= import('re2js').then((m) => {
    engine = m.RE2JS;
  });
  return loading;
}

/** True once loadTagMatcher() has resolved. */
export function tagMatcherLoaded(): boolean {
  return engine !== undefined;
}

/**
 * The whole value must match `source`; throws (with RE2's message) for an invalid expression, and
 * an Error saying so when called before loadTagMatcher() has resolved (a programming error).
 */
export function anchoredRegex(source: string): AnchoredPattern {
  if (!engine) throw new Error('tag matcher used before loadTagMatcher() resolved');
  const re = engine.compile(source);
  return { test: (value) => re.matches(value) };
}

/** True when every filter's tag is present and matches (a missing tag never matches). */
export function tagsMatch(
  tags: Readonly<Record<string, string>>,
  filters: ReadonlyArray<{ key: string; value: AnchoredPattern }>,
): boolean {
  return filters.every(({ key, value }) => Object.hasOwn(tags, key) && value.test(tags[key]!));
}
