// `grapevine completion bash|zsh`: a shell completion script generated from the command tree itself
// (every command, subcommand and option commander knows, the agent's schema-generated flags included),
// so it never goes stale. zsh runs the same function through its bash compatibility layer.
import { type Command, InvalidArgumentError } from 'commander';
import type { CliIo } from './cli-io.js';

const SHELLS = ['bash', 'zsh'] as const;
type Shell = (typeof SHELLS)[number];

function shellArg(value: string): Shell {
  if ((SHELLS as readonly string[]).includes(value)) return value as Shell;
  throw new InvalidArgumentError(`expected ${SHELLS.join(' or ')}, got '${value}'`);
}

export function registerCompletion(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description(
      'Print a shell completion script: `source <(grapevine completion bash)` (or zsh), e.g. in ~/.bashrc.',
    )
    .argument('<shell>', `bash or zsh`, shellArg)
    .action((shell: Shell) => {
      io.out(completionScript(program, shell));
    });
}

/** What completes after each command path: its subcommands and its options (visible in --help). */
export function completionWords(root: Command): Map<string, string[]> {
  const words = new Map<string, string[]>();
  const walk = (cmd: Command, path: string): void => {
    const help = cmd.createHelp();
    const subs = help.visibleCommands(cmd);
    const opts = help.visibleOptions(cmd).flatMap((o) => [o.long, o.short].filter((f) => f !== undefined));
    words.set(path, [...subs.map((s) => s.name()), ...opts]);
    for (const sub of subs) walk(sub, join(path, sub.name()));
  };
  walk(root, '');
  return words;
}

const join = (path: string, name: string) => (path ? `${path} ${name}` : name);

/** Single-quoted for the shell (names and flags never hold a quote, but be safe). */
const quoted = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export function completionScript(root: Command, shell: Shell): string {
  const fn = `_${root.name().replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  const words = completionWords(root);
  const paths = [...words.keys()].filter((p) => p !== '');
  const cases = [...words]
    .map(([path, ws]) => `    ${quoted(path)}) words=${quoted(ws.join(' '))} ;;`)
    .join('\n');
  const bash = `${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next words i
  # The command path so far: words that name a subcommand of the path before them.
  for ((i = 1; i < COMP_CWORD; i++)); do
    next="\${path:+$path }\${COMP_WORDS[i]}"
    case "$next" in
      ${paths.map(quoted).join('|')}) path="$next" ;;
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${root.name()}
`;
  const header = `# ${root.name()} ${shell} completion, generated from the command tree: source <(${root.name()} completion ${shell})\n`;
  if (shell === 'bash') return header + bash;
  return `${header}autoload -U +X bashcompinit && bashcompinit\n${bash}`;
}
