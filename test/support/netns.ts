// Linux network namespaces with nftables fault injection, for tests that need real packet loss and
// partitions. Each namespace has only `lo`, which answers for all of 127.0.0.0/8, so several agents
// can bind 127.0.0.2, 127.0.0.3, … inside one namespace and be partitioned by address.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to stdin. */
  input?: string;
  /** Kill the command after this long (default 30 s). */
  timeoutMs?: number;
}

/** Which packets a rule applies to. */
export type Protocol = 'udp' | 'tcp' | 'any';

/** The table and chain every rule goes into (an input hook also sees traffic over lo). */
const TABLE = 'inet chaos';
const BASE_RULESET = `table ${TABLE} {
  chain input { type filter hook input priority 0; policy accept; }
}
`;

/** Runs a command to completion; never rejects for a non-zero exit (see `code`). */
export function exec(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the command may exit without reading stdin
    child.stdin.end(opts.input ?? '');
  });
}

async function execOk(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const result = await exec(cmd, args, opts);
  if (result.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result;
}

/**
 * null when namespaces and nftables are usable here, otherwise why not (for `this.skip()` messages).
 * It creates and deletes a probe namespace, since root without CAP_SYS_ADMIN still cannot.
 */
export async function netnsAvailable(): Promise<string | null> {
  if (process.platform !== 'linux') return `network namespaces need Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'not running as root';
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['nft', ['--version']],
  ] as const) {
    try {
      const r = await exec(tool, args);
      if (r.code !== 0) return `'${tool}' does not run: ${r.stderr.trim()}`;
    } catch {
      return `'${tool}' is missing (apt-get install -y ${tool === 'ip' ? 'iproute2' : 'nftables'})`;
    }
  }
  let probe: NetNamespace | null = null;
  try {
    probe = await NetNamespace.create('gvprobe');
    return null;
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message}`;
  } finally {
    await probe?.delete();
  }
}

const created = new Set<NetNamespace>();
let counter = 0;

/** A network namespace with lo up and an empty `inet chaos` table. Call delete() when done. */
export class NetNamespace {
  private readonly children = new Set<ChildProcess>();
  private deleted = false;

  private constructor(readonly name: string) {}

  /** Creates a uniquely named namespace: `<prefix>-<pid>-<n>-<random>`. */
  static async create(prefix = 'gv'): Promise<NetNamespace> {
    const name = `${prefix}-${process.pid}-${counter++}-${randomBytes(3).toString('hex')}`;
    await execOk('ip', ['netns', 'add', name]);
    const ns = new NetNamespace(name);
    created.add(ns);
    try {
      await ns.run('ip', ['link', 'set', 'lo', 'up']);
      await ns.nft(BASE_RULESET);
    } catch (err) {
      await ns.delete();
      throw err;
    }
    return ns;
  }

  /** Names of all namespaces on the host (`ip netns list`). */
  static async listNames(): Promise<string[]> {
    const { stdout } = await execOk('ip', ['netns', 'list']);
    return stdout
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((name) => name !== '');
  }

  /** Runs a command inside the namespace; rejects on a non-zero exit. */
  run(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    return execOk('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Like run, but resolves with the exit code instead of rejecting. */
  exec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    return exec('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Starts a long-running command inside the namespace; it is killed by delete() if still running. */
  spawn(cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    // `ip netns exec` execs the command itself, so the child's pid is the command's.
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Applies an nftables script (`nft -f -`) inside the namespace. */
  async nft(ruleset: string): Promise<void> {
    await this.run('nft', ['-f', '-'], { input: ruleset });
  }

  /** Drops `percent`% (0..100, two decimals) of incoming packets of the protocol, at random. */
  async dropRandom(percent: number, opts: { protocol?: Protocol } = {}): Promise<void> {
    if (!(percent >= 0 && percent <= 100))
      throw new RangeError(`percent must be within [0, 100], got ${percent}`);
    const basisPoints = Math.round(percent * 100);
    if (basisPoints === 0) return;
    // nft refuses a comparison value outside the modulus range, so 100% is a plain drop.
    const sample = basisPoints >= 10_000 ? '' : `numgen random mod 10000 < ${basisPoints} `;
    await this.addRule(`${protocolMatch(opts.protocol ?? 'udp')}${sample}drop`);
  }

  /** Drops packets from srcCidr to dstCidr (one direction; call twice for a full partition). */
  async dropBetween(srcCidr: string, dstCidr: string, opts: { protocol?: Protocol } = {}): Promise<void> {
    const family = srcCidr.includes(':') ? 'ip6' : 'ip';
    if (dstCidr.includes(':') !== (family === 'ip6'))
      throw new Error('srcCidr and dstCidr must be the same family');
    checkCidr(srcCidr);
    checkCidr(dstCidr);
    await this.addRule(
      `${protocolMatch(opts.protocol ?? 'any')}${family} saddr ${srcCidr} ${family} daddr ${dstCidr} drop`,
    );
  }

  /** Drops both directions between two groups of addresses. */
  async partition(groupA: readonly string[], groupB: readonly string[]): Promise<void> {
    for (const a of groupA) {
      for (const b of groupB) {
        await this.dropBetween(a, b);
        await this.dropBetween(b, a);
      }
    }
  }

  /** Removes every fault rule (the table and chain stay). */
  async flush(): Promise<void> {
    await this.run('nft', ['flush', 'chain', ...TABLE.split(' '), 'input']);
  }

  /** The current rules, as `nft list table` prints them (with counters where rules have them). */
  async rules(): Promise<string> {
    return (await this.run('nft', ['list', 'table', ...TABLE.split(' ')])).stdout;
  }

  /** Kills processes started with spawn() and deletes the namespace. Safe to call twice. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    created.delete(this);
    await Promise.all(
      [...this.children].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    await exec('ip', ['netns', 'del', this.name]);
  }

  private async addRule(rule: string): Promise<void> {
    await this.nft(`add rule ${TABLE} input ${rule}\n`);
  }
}

/** Deletes every namespace this process created and has not deleted yet (for an after() hook). */
export async function deleteAllNamespaces(): Promise<void> {
  await Promise.all([...created].map((ns) => ns.delete()));
}

/** Runs fn with a fresh namespace and always deletes it. */
export async function withNetns<T>(fn: (ns: NetNamespace) => Promise<T>): Promise<T> {
  const ns = await NetNamespace.create();
  try {
    return await fn(ns);
  } finally {
    await ns.delete();
  }
}

function protocolMatch(protocol: Protocol): string {
  return protocol === 'any' ? '' : `meta l4proto ${protocol} `;
}

// The CIDR is spliced into an nft script; accept only address characters so it cannot inject rules.
function checkCidr(cidr: string): void {
  if (!/^[0-9A-Fa-f:.]+(\/[0-9]{1,3})?$/.test(cidr)) throw new Error(`invalid CIDR '${cidr}'`);
}
