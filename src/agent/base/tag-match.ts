// Anchored regular expressions over tags, as Serf's `members -tag` and query filters use them: the
// whole value must match. Shared by the CLI's member filter and the core's query filter.

/** `^(?:source)$`; throws SyntaxError for an invalid expression. */
export function anchoredRegex(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/** True when every filter's tag is present and matches (a missing tag never matches). */
export function tagsMatch(
  tags: Readonly<Record<string, string>>,
  filters: ReadonlyArray<{ key: string; value: RegExp }>,
): boolean {
  return filters.every(({ key, value }) => Object.hasOwn(tags, key) && value.test(tags[key]!));
}
