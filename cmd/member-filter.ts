// `grapevine members` filters, as Serf's `members -status -tag -name`: states (exact), tags and
// the name as regular expressions, anchored like Serf's (the whole value must match).
import { InvalidArgumentError } from 'commander';
import type { MemberView } from '../src/agent/agent-api.js';
import { type AnchoredPattern, anchoredRegex, tagsMatch } from '../src/agent/base/tag-match.js';

export interface MemberFilter {
  name?: AnchoredPattern;
  tags: Array<{ key: string; value: AnchoredPattern }>;
}

function anchored(source: string, what: string): AnchoredPattern {
  try {
    return anchoredRegex(source);
  } catch (err) {
    throw new InvalidArgumentError(
      `${what}: invalid regular expression '${source}' (${(err as Error).message})`,
    );
  }
}

/** commander parser for `--name REGEX`. */
export const nameRegexArg = (value: string): AnchoredPattern => anchored(value, '--name');

/** commander parser for repeatable `--tag KEY=REGEX`. */
export function tagFilterArg(value: string, previous: MemberFilter['tags'] = []): MemberFilter['tags'] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected KEY=REGEX, got '${value}'`);
  return [
    ...previous,
    { key: value.slice(0, eq), value: anchored(value.slice(eq + 1), `--tag ${value.slice(0, eq)}`) },
  ];
}

export function matches(m: MemberView, f: MemberFilter): boolean {
  if (f.name && !f.name.test(m.name)) return false;
  return tagsMatch(m.tags, f.tags);
}
