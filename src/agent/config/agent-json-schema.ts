// The agent config schema as plain JSON Schema, for the operator's CRD and the chart's values schema.
import { AgentConfigSchema } from './agent-schema.js';

/** AgentConfigSchema without TypeBox's symbol-keyed metadata (JSON serialisation drops symbols). */
export function agentConfigJsonSchema(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(AgentConfigSchema)) as Record<string, unknown>;
}
