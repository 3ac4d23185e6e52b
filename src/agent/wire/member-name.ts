// The member-name rule, defined once. It applies wherever a node name enters: the agent's own name
// (config file, --name, NODE_NAME, the host name), names the HTTP API and the CLI take as input,
// and names in records from peers (record-bounds.ts drops and counts the others). ASCII letters,
// digits and `-._:`, starting with a letter or digit: Kubernetes node names (DNS-1123 subdomains),
// host names and the names people give agents by hand all fit, while control bytes, spaces,
// look-alike Unicode and mutated bytes from a fuzzed packet do not. Serf's optional
// ValidateNodeNames is narrower (`[A-Za-z0-9.-]`, 128 characters); Serf allows any name by default.
import { LIMITS } from './limits.js';
import { escapeControl } from './limits-check.js';

/** The rule as a regular expression, in the dialect JSON Schema and JavaScript share. */
export const MEMBER_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]*$';

/** The rule in words, for error messages and help. */
export const MEMBER_NAME_RULE = `1 to ${LIMITS.name} ASCII letters, digits, '-', '.', '_' or ':', starting with a letter or digit`;

const MEMBER_NAME = new RegExp(MEMBER_NAME_PATTERN);

/** Whether `name` may name a member (ASCII only, so its length is its UTF-8 size). */
export function isMemberName(name: string): boolean {
  return name.length <= LIMITS.name && MEMBER_NAME.test(name);
}

/** Why `name` is not a member name, or null when it is one. */
export function memberNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'must be a string';
  if (name.length === 0) return 'must not be empty';
  if (isMemberName(name)) return null;
  // Escaped and cut: the name may come from a peer or an environment variable.
  const shown = `'${escapeControl(name, 64)}'`;
  if (name.length > LIMITS.name)
    return `${shown} is ${name.length} characters; a member name has at most ${LIMITS.name}`;
  return `${shown} is not a member name (${MEMBER_NAME_RULE})`;
}
