// Wires the demo together: the web server first (so a busy port fails before any agent starts), then
// the agents. stop() ends the page streams, the server and every agent process.

import type { GrapevineCommand } from './agent-command-line.js';
import { AgentFleet } from './agent-fleet.js';
import { createDemoApp, listenDemoServer } from './demo-server.js';
import { EventRelay } from './event-relay.js';
import { ViewPoller } from './view-poller.js';

export interface DemoOptions {
  nodes: number;
  /** Where the page is served. */
  host: string;
  port: number;
  /** Program that runs `grapevine`; default: this checkout's entry point. */
  command?: GrapevineCommand;
  pageDir?: string;
  /** false: agents spread updates by rumor mongering alone, so the page shows multi-hop spread. */
  directMail?: boolean;
}

export interface RunningDemo {
  url: string;
  fleet: AgentFleet;
  /** Resolves when every agent answers its HTTP API; rejects when one cannot start. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  const fleet = new AgentFleet({
    nodes: o.nodes,
    host: '127.0.0.1',
    command: o.command,
    extraAgentArgs: o.directMail === false ? ['--direct-mail-enabled', 'false'] : [],
  });
  const relay = new EventRelay(fleet);
  const poller = new ViewPoller(fleet);
  const demoApp = createDemoApp({ fleet, poller, relay, pageDir: o.pageDir });
  let server: Awaited<ReturnType<typeof listenDemoServer>>;
  try {
    server = await listenDemoServer(demoApp.app, o.host, o.port);
  } catch (err) {
    demoApp.close();
    relay.stop();
    throw err;
  }
  const ready = fleet.start();
  ready.catch(() => undefined); // the caller decides; never an unhandled rejection
  let stopping: Promise<void> | null = null;
  return {
    url: server.url,
    fleet,
    ready,
    stop: () => {
      stopping ??= (async () => {
        relay.stop();
        demoApp.close();
        await Promise.all([server.close(), fleet.stopAll()]);
      })();
      return stopping;
    },
  };
}
