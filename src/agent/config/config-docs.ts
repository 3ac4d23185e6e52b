// Renders the generated parts of docs/configuration.md from the flag list and the reload rules,
// so the documentation cannot drift from the code (a test compares the committed file).
import { AGENT_FLAGS, formatDefault } from './agent-flags.js';
import { LIVE_FIELDS, RESTART_REQUIRED_FIELDS } from './config-diff.js';

const cell = (s: string) => s.replace(/\|/g, '\\|');
const code = (s: string) => (s === '' ? '' : `\`${cell(s)}\``);

export function renderFlagTable(): string {
  const rows = AGENT_FLAGS.map((f) => {
    const field = f.path.length > 0 ? code(f.path.join('.')) : '';
    return `| ${code(`${f.flag} <${f.valueName}>`)} | ${code(f.env)} | ${field} | ${code(formatDefault(f.defaultValue))} | ${cell(f.description)} |`;
  });
  return [
    '| flag | environment variable | config field | default | meaning |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export function renderReloadTable(): string {
  const list = (fields: readonly string[]) => fields.map((f) => code(f)).join(', ');
  return [
    '| applied | fields |',
    '|---|---|',
    `| live, without restart | ${list(LIVE_FIELDS)} (every \`gossip.*\` tunable except \`gossip.cluster\`) |`,
    `| on restart only | ${list(RESTART_REQUIRED_FIELDS)} |`,
  ].join('\n');
}

const SECTIONS: ReadonlyArray<[name: string, render: () => string]> = [
  ['flags', renderFlagTable],
  ['reload', renderReloadTable],
];

/** `doc` with every `<!-- generated:NAME -->…<!-- /generated:NAME -->` block re-rendered. */
export function updateGeneratedSections(doc: string): string {
  let out = doc;
  for (const [name, render] of SECTIONS) {
    const open = `<!-- generated:${name} (scripts/gen-config-docs.ts) -->`;
    const close = `<!-- /generated:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`missing the ${open} … ${close} markers`);
    out = `${out.slice(0, start + open.length)}\n${render()}\n${out.slice(end)}`;
  }
  return out;
}
