// The agent's log: JSON lines for machines (a pod, a pipe, a file), one readable line per record on
// a terminal. pino writes JSON; on a terminal this destination rewrites each line as
// `HH:MM:SS.mmm LEVEL message key=value …` (no extra dependency such as pino-pretty).
import type { DestinationStream } from 'pino';

export type LogFormat = 'auto' | 'json' | 'text';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'node']);

/** One pino JSON line as text; anything that is not a JSON object is passed through. */
export function textLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 23) : '';
  const level = (LEVELS[rec.level as number] ?? String(rec.level)).padEnd(5);
  const fields = Object.entries(rec)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  return `${time} ${level} ${String(rec.msg ?? '')}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}\n`;
}

/** undefined: pino's own JSON destination (stdout). */
export function logDestination(
  format: LogFormat,
  out: { isTTY?: boolean; write(s: string): unknown } = process.stdout,
): DestinationStream | undefined {
  const text = format === 'text' || (format === 'auto' && out.isTTY === true);
  if (!text) return undefined;
  return { write: (line: string) => void out.write(textLine(line.trimEnd())) };
}
