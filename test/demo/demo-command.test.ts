// `grapevine demo` as a real process: prints the URL, serves the page, and on SIGINT stops every agent
// and exits 0. Bad arguments are usage errors; a busy port is one line and exit 1.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import type { ClusterState } from '../../src/demo/view-poller.js';
import { isAlive, waitFor } from './wait-for.js';

const CLI = new URL('../../cmd/grapevine.ts', import.meta.url).pathname;

interface Run {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

/** `ownGroup`: the demo leads a new process group, like a shell job that Ctrl-C signals as a whole. */
function run(args: string[], ownGroup = false): Run {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, out: () => out, err: () => err, exit };
}

describe('demo: the grapevine demo command', function () {
  this.timeout(120_000);

  it('runs a cluster until SIGINT, then stops every agent and exits 0', async () => {
    const r = run(['demo', '--nodes', '3', '--port', '0']);
    try {
      await waitFor(
        'the ready line',
        r.out,
        (o) => /3 agents running, every view agrees \(converged [\d.]+ s after start\)/.test(o),
        60_000,
        100,
      );
      const url = /open (http:\/\/\S+)/.exec(r.out())?.[1];
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const state = (await (await fetch(new URL('/api/state', url))).json()) as ClusterState;
      const pids = state.observers.map((o) => o.agent.pid as number);
      expect(pids).to.have.length(3);
      expect(pids.every(isAlive)).to.equal(true);
      r.proc.kill('SIGINT');
      expect(await r.exit).to.equal(0);
      expect(r.out()).to.include('Stopped.');
      for (const pid of pids) expect(isAlive(pid), `agent ${pid}`).to.equal(false);
      expect(r.err()).to.equal('');
    } finally {
      r.proc.kill('SIGKILL');
    }
  });

  it('Ctrl-C in a terminal (SIGINT to the whole process group) also ends cleanly with exit 0', async () => {
    const r = run(['demo', '--nodes', '2', '--port', '0', '--host', '0.0.0.0'], true);
    try {
      await waitFor('the ready line', r.out, (o) => /2 agents running/.test(o), 60_000, 100);
      // A wildcard listen address is printed as a loopback URL a browser can open.
      const url = /open (http:\/\/\S+)/.exec(r.out())?.[1];
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const state = (await (await fetch(new URL('/api/state', url))).json()) as ClusterState;
      const pids = state.observers.map((o) => o.agent.pid as number);
      expect(pids).to.have.length(2);
      process.kill(-(r.proc.pid as number), 'SIGINT');
      expect(await r.exit).to.equal(0);
      for (const pid of pids) expect(isAlive(pid), `agent ${pid}`).to.equal(false);
    } finally {
      r.proc.kill('SIGKILL');
    }
  });

  it('rejects bad arguments as usage errors (exit 2)', async () => {
    for (const args of [['--nodes', '0'], ['--nodes', 'many'], ['--port', '70000'], ['--bogus']]) {
      const r = run(['demo', ...args]);
      expect(await r.exit, args.join(' ')).to.equal(2);
      expect(r.err()).to.match(/error: /);
      // Issue 11: a pointer to the command's help instead of the whole help text.
      expect(r.err()).to.include("Run 'grapevine demo --help' for usage.");
    }
  });

  it('says in one line that the port is taken (exit 1), before starting any agent', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = run(['demo', '--nodes', '2', '--port', String(port)]);
      expect(await r.exit).to.equal(1);
      expect(r.err()).to.equal(
        `grapevine demo: port ${port} on 127.0.0.1 is already in use; pick another with --port\n`,
      );
      expect(r.out()).to.equal('');
    } finally {
      blocker.close();
    }
  });
});
