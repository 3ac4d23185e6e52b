// Anchored regular expressions over tags and names, as Serf's `members -tag` and query filters use
// them: the whole value must match. Shared by the CLI's member filter and the core's query filter.
// RE2 syntax and semantics (re2js), as in Serf, whose Go regexp is RE2: matching is linear in the
// input, so a pattern from a peer's query cannot stall the agent by backtracking (with JavaScript's
// RegExp, `(a+)+b` against a long run of `a`s takes exponential time); backreferences and lookaround
// are refused as invalid.
import { RE2JS } from 're2js';

/** A compiled anchored pattern. */
export interface AnchoredPattern {
  test(value: string): boolean;
}

/** The whole value must match `source`; throws (with RE2's message) for an invalid expression. */
export function anchoredRegex(source: string): AnchoredPattern {
  const re = RE2JS.compile(source);
  return { test: (value) => re.matches(value) };
}

/** True when every filter's tag is present and matches (a missing tag never matches). */
export function tagsMatch(
  tags: Readonly<Record<string, string>>,
  filters: ReadonlyArray<{ key: string; value: AnchoredPattern }>,
): boolean {
  return filters.every(({ key, value }) => Object.hasOwn(tags, key) && value.test(tags[key]!));
}
