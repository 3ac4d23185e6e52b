// The agent Service is named `<name>-agent`, and a Service name must be a DNS-1035 label (≤ 63
// characters, starting with a letter); the name is also a label value. So a GossipCluster name is
// limited to what still fits with the suffix. The CRD enforces this with CEL; this is the operator's
// own check for apiservers without CEL.

export const AGENT_SUFFIX = '-agent';
export const MAX_NAME_LENGTH = 63 - AGENT_SUFFIX.length;
export const NAME_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

export const NAME_MESSAGE = `must be at most ${MAX_NAME_LENGTH} characters of a-z, 0-9 and '-', starting with a letter and ending with a letter or digit (the agent Service is named <name>${AGENT_SUFFIX})`;

/** Problems with a GossipCluster's metadata.name, each starting with `metadata.name:`. */
export function crNameProblems(name: string): string[] {
  const ok = name.length <= MAX_NAME_LENGTH && new RegExp(NAME_PATTERN).test(name);
  return ok ? [] : [`metadata.name: ${NAME_MESSAGE}, got ${JSON.stringify(name)}`];
}
