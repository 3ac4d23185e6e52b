// The agent process's heart: one gossip node on real sockets, its HTTP API and metrics, seeding
// (static and DNS), hot reload of the config file and graceful shutdown. Everything protocol-related
// lives in the sans-IO core; this file only wires parts together.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { parseAddr } from '../net/address.js';
import { serveApi } from '../net/serve-api.js';
import type { AgentApi, AgentEvent, MemberView, SelfView } from './agent-api.js';
import { memberView, queryResponseEvent, toAgentEvent } from './agent-events.js';
import { loadTagMatcher } from './base/tag-match.js';
import type { AgentConfig } from './config/agent-schema.js';
import { diffConfig } from './config/config-diff.js';
import { watchConfigFile } from './config/config-watcher.js';
import { readKeyringFile } from './config/keyring-file.js';
import type { ForceLeaveDecision } from './core/force-leave.js';
import { QUERY_REFUSALS, responseLimit } from './core/queries.js';
import type { CoreEvent } from './core/types.js';
import { resolveSeeds, seedResolver } from './discovery/dns-seeds.js';
import { JoinWatch } from './discovery/join-watch.js';
import { SeedJoiner } from './discovery/seed-joiner.js';
import { EventHandler, type QueryEvent } from './hooks/event-handler.js';
import { createApi } from './http/api.js';
import {
  type AgentControl,
  type AgentInfo,
  type JoinResult,
  type KvListing,
  RESERVED_TAG_PREFIX,
} from './http/control-api.js';
import { INTERNAL_QUERY_PREFIX } from './http/query-api.js';
import { ClusterKeys } from './keys/cluster-keys.js';
import { keyOpOfQuery } from './keys/key-ops.js';
import { AgentMetrics } from './metrics/agent-metrics.js';
import { agentVersion } from './metrics/agent-version.js';
import { RateLimitedLog } from './metrics/rate-limited-log.js';
import { type Refusal, Refusals } from './metrics/refusals.js';
import { describeNetError, errorPeer, isUnreachable } from './net-error-text.js';
import { QueryCollector } from './query-collector.js';
import { monotonicNow } from './runtime/clock.js';
import { type LocalNode, startLocalNode } from './runtime/local-node.js';
import { bindError, StartupError } from './startup-error.js';
import { STREAM_REFUSALS } from './transport/stream-transport.js';
import type { Keyring } from './wire/keyring.js';
import { LIMITS } from './wire/limits.js';
import { encodedTagBytes, escapeControl } from './wire/limits-check.js';
import type { Addr } from './wire/messages.js';
import { WIRE_VERSION } from './wire/packet-codec.js';

export interface AgentOptions {
  config: AgentConfig;
  logger: Logger;
  /** The config file to watch for hot reload, and how to re-read it with the same flags and env. */
  configFile?: string;
  reloadConfig?: () => AgentConfig;
  /** DNS servers for joinDns (default: the system resolver). */
  dnsServers?: string[];
  /** Upper bound on waiting for a leave to spread before closing. Default 5 s. */
  leaveTimeoutMs?: number;
  /** After how long a start-up join through `join` seeds that is neither done nor failed is logged as slow. Default 10 s. */
  joinSlowAfterMs?: number;
}

/** Seeds a join contacts at once (the core's JOIN_CONTACTS): that many refusals mean none answered. */
const JOIN_CONTACTS = 3;

/**
 * Tags every agent sets about itself, so `grapevine members --detailed` shows which version and wire
 * protocol each member runs during a rolling upgrade.
 */
export function versionTags(): Record<string, string> {
  return {
    [`${RESERVED_TAG_PREFIX}version`]: agentVersion(),
    [`${RESERVED_TAG_PREFIX}protocol`]: String(WIRE_VERSION),
  };
}

/**
 * The user's tags plus the version tags, when both fit the limits the codec and gossip.maxTagBytes
 * set; otherwise the user's tags alone. Tags a user was allowed to configure must never keep the agent
 * from starting (the CRD and the config loader check the user's tags, not ours).
 */
function withVersionTags(tags: Record<string, string>, maxTagBytes: number): Record<string, string> {
  const all = { ...tags, ...versionTags() };
  const fits = encodedTagBytes(all) <= maxTagBytes && Object.keys(all).length <= LIMITS.tagEntries;
  return fits ? all : { ...tags };
}

export class Agent implements AgentApi, AgentControl {
  private readonly listeners = new Set<(e: AgentEvent) => void>();
  private readonly lastChange = new Map<string, number>();
  private readonly closers: Array<() => Promise<void> | void> = [];
  private restartRequired: string[] = [];
  private joined = false;
  private alone = false;
  private stopping: Promise<void> | null = null;
  private joinWatch: JoinWatch | null = null;
  private readonly peerFailureListeners = new Set<(peer: string, reason: string) => void>();
  private readonly startedAt = Date.now();
  private encrypted = false;
  /** Peers and the network choose much of what transport errors say: escaped, no stack, rate-limited. */
  private transportLog!: RateLimitedLog;
  /** Why the agent stopped on its own (e.g. no seed reachable); undefined after a normal stop. */
  failure: StartupError | undefined;
  private resolveStopped!: () => void;
  /** Resolves when the agent has shut down (after leave() or shutdown()). */
  readonly stopped = new Promise<void>((r) => {
    this.resolveStopped = r;
  });
  private node!: LocalNode;
  private metricsRegistry!: AgentMetrics;
  private refusals: Refusals | undefined;
  private queryCollector: QueryCollector | undefined;
  private clusterKeys: ClusterKeys | undefined;
  private keyring: Keyring | null = null;
  httpUrl = '';

  private constructor(
    private config: AgentConfig,
    private readonly o: AgentOptions,
  ) {}

  /** Starts the agent; on failure everything opened so far is closed again before the error is thrown. */
  static async start(o: AgentOptions): Promise<Agent> {
    const agent = new Agent(o.config, o);
    try {
      await agent.boot();
    } catch (err) {
      for (const close of agent.closers) await close();
      throw err;
    }
    return agent;
  }

  get name(): string {
    return this.node.node.name;
  }

  get gossipAddr(): string {
    return this.node.addr;
  }

  private async boot(): Promise<void> {
    const c = this.config;
    const log = this.o.logger;
    const keyring = c.keyringFile ? readKeyringFile(c.keyringFile) : null;
    this.keyring = keyring;
    this.encrypted = keyring !== null;
    const token = c.apiTokenFile ? readToken(c.apiTokenFile) : undefined;
    if (c.requireApiToken && token === undefined)
      throw new Error('requireApiToken is set but no apiTokenFile is given: the write routes would be open');
    this.transportLog = new RateLimitedLog((fields, msg) => log.warn(fields, msg));
    // Created before the node: inbound connections may be refused as soon as the port is bound.
    let refusals: Refusals | undefined;
    const refused = (r: Refusal) => refusals?.report(r);
    this.node = await startLocalNode({
      name: c.name ?? 'grapevine',
      bind: c.bind,
      advertise: c.advertise,
      config: c.gossip,
      keyring,
      tags: withVersionTags(c.tags, c.gossip.maxTagBytes),
      onEvent: (e) => {
        if (e.type === 'refused') refused(e);
        else this.onCoreEvent(e);
      },
      onError: (err, context) => this.onTransportError(err, context),
      stream: {
        maxInbound: c.maxInboundConnections,
        maxInboundPerSource: c.maxInboundConnectionsPerSource,
        onIncident: (i) =>
          refusals?.report({ resource: 'gossip-tcp', reason: i.kind, peer: i.from, detail: i.detail }),
      },
    }).catch((err: unknown) => {
      throw bindError(err, 'gossip address (UDP and TCP)', c.bind, '--bind');
    });
    this.closers.push(() => this.node.close());
    const n = this.node.node;
    this.metricsRegistry = new AgentMetrics(
      {
        stats: () => n.stats,
        counts: () => n.counts(),
        healthScore: () => n.healthScore(),
        viewDigest: () => n.viewDigest(),
        pendingRumors: () => n.pendingRumors(),
        pendingMail: () => n.pendingMail(),
      },
      { node: n.name, cluster: c.gossip.cluster, processMetrics: true },
    );
    refusals = new Refusals(this.metricsRegistry.registry, (fields, msg) => log.warn(fields, msg));
    refusals.declare('gossip-tcp', STREAM_REFUSALS);
    refusals.declare('event-stream', ['subscribers', 'slow-subscriber']);
    refusals.declare('query', QUERY_REFUSALS);
    refusals.declare('kv', ['full', 'invalid']);
    refusals.declare('event-dedupe', ['evicted-origin', 'skipped-gap']);
    this.refusals = refusals;
    const queries = new QueryCollector(
      (fn) => this.node.run(fn),
      (q, answer) => {
        if (q.name.startsWith(INTERNAL_QUERY_PREFIX)) return;
        this.emit(queryResponseEvent('received', q, answer.from, this.name, answer.ack, answer.payload));
      },
    );
    this.queryCollector = queries;
    this.closers.push(() => queries.close());
    const keys = new ClusterKeys({
      keyring: () => this.keyring,
      setKeyring: (k) => this.applyKeyring(k),
      keyringFile: () => this.config.keyringFile,
      query: (req) => queries.query(req),
      liveMembers: () => this.node.node.counts().alive,
    });
    this.clusterKeys = keys;
    const api = createApi(this, {
      token,
      control: this,
      queries,
      keys,
      sseMaxSubscribers: c.maxEventSubscribers,
      sseMaxQueueBytes: c.maxEventQueueBytes,
      onRefused: (reason, detail) => refusals?.report({ resource: 'event-stream', reason, detail }),
    });
    const server = await serveApi(api, c.http).catch((err: unknown) => {
      throw bindError(err, 'HTTP API', c.http, '--http');
    });
    this.httpUrl = server.url;
    this.closers.unshift(() => server.close());
    this.startEventHandler();
    this.startJoining();
    this.watchConfig();
    log.info(
      { name: n.name, gossipAddr: this.node.addr, httpAddr: server.url, cluster: c.gossip.cluster },
      'agent started',
    );
  }

  private startJoining(): void {
    const c = this.config;
    const log = this.o.logger;
    let lookupFailed = false;
    const joiner = (lookup: () => Promise<Addr[]>, source: string) =>
      new SeedJoiner({
        lookup,
        ownAddr: this.node.addr,
        join: (seeds) => this.node.run((node, now) => node.join(seeds, now)),
        joined: () => this.isJoined(),
        onAttempt: (seeds, err) => {
          if (!err) return log.debug({ seeds }, 'join attempt');
          // Said once at warn (with the reason); the retries that follow are debug-level noise.
          const level = lookupFailed ? 'debug' : 'warn';
          lookupFailed = true;
          log[level](
            { name: source, reason: describeNetError(err) },
            'DNS seed lookup failed; retrying with backoff until it answers',
          );
        },
        onAlone: () => {
          if (!this.alone) log.info({ name: source }, 'no other member listed yet: starting as the first');
          this.alone = true;
        },
      });
    // The core retries its seeds while alone (short, growing delay); the joiners hand it each address
    // once and look a DNS name up again until joined. Without retryJoin, watchJoin stops the agent
    // once every contacted static seed has refused (as `serf agent -join` does).
    const joiners: SeedJoiner[] = [];
    if (c.join.length > 0) {
      joiners.push(joiner(async () => c.join, 'join'));
      this.watchJoin();
    }
    if (c.joinDns) {
      const { joinDns } = c;
      const port = parseAddr(c.bind).port;
      const resolver = seedResolver(this.o.dnsServers);
      joiners.push(joiner(() => resolveSeeds(joinDns, port, resolver), joinDns));
    }
    for (const j of joiners) {
      j.start();
      this.closers.push(() => j.stop());
    }
  }

  /** Runs the configured command per event (bounded; see hooks/event-handler.ts). */
  private startEventHandler(): void {
    const c = this.config;
    if (!c.eventHandler) return;
    const log = this.o.logger;
    let dropped = 0;
    const handler = new EventHandler({
      command: c.eventHandler,
      timeoutMs: c.eventHandlerTimeoutMs ?? 30_000,
      concurrency: c.eventHandlerConcurrency ?? 4,
      self: { name: this.name, addr: this.node.addr },
      maxResponseBytes: responseLimit(c.gossip),
      onQueryResponse: (e, out) => this.answerQuery(e, out),
      onResult: (result, d) => {
        this.metricsRegistry.eventHandlerResult(result);
        if (result === 'ok') return log.debug({ event: d.event }, 'event handler ran');
        if (result === 'dropped') {
          // One line for the first drop of a burst and every 100th after it, not one per event.
          if (dropped++ % 100 === 0)
            log.warn({ event: d.event, dropped }, 'event handler queue full; event dropped');
          return;
        }
        dropped = 0;
        log.warn({ event: d.event, result, exitCode: d.code, stderr: d.stderr }, 'event handler failed');
      },
    });
    // Query answers are shown by `monitor`; a handler is run for what happened, not for them.
    const unsubscribe = this.subscribe((e) => {
      if (e.kind !== 'query-response') handler.handle(e);
    });
    this.closers.push(() => {
      unsubscribe();
      handler.close();
    });
  }

  /** The live keyring, in the core and in the transport's check of new connections. */
  private applyKeyring(keyring: Keyring | null): void {
    this.node.setKeyring(keyring);
    this.keyring = keyring;
    this.encrypted = keyring !== null;
  }

  /** The agents' own queries (key rotation) are answered here, never delivered to handlers. */
  private onInternalQuery(e: Extract<CoreEvent, { type: 'query' }>): void {
    const op = keyOpOfQuery(e.name);
    if (!op || !this.clusterKeys) return;
    const keys = this.clusterKeys;
    // Outside the core's call stack: the answer changes the keyring the core is using.
    setImmediate(() => {
      if (this.stopping) return;
      const answer = keys.answer(op, e.payload);
      const log = this.o.logger;
      if (answer.ok && op !== 'list')
        log.info(
          { op, origin: e.query.origin, ...answer },
          'keyring changed by a cluster-wide keys operation',
        );
      else if (!answer.ok)
        log.warn(
          { op, origin: e.query.origin, error: answer.error },
          'cluster-wide keys operation refused here',
        );
      const payload = new TextEncoder().encode(JSON.stringify(answer));
      this.node.run((node, now) => node.respondQuery(e.query, payload, now));
    });
  }

  /** Loads the RE2 engine the first time a query with tag filters arrives, then delivers it. */
  private resumeQueriesWithTagMatcher(): void {
    loadTagMatcher().then(
      () => {
        if (!this.stopping) this.node.run((node, now) => node.resumeParkedQueries(now));
      },
      (err: unknown) =>
        this.o.logger.error(
          { err },
          'cannot load the tag matcher (re2js); tag-filtered queries are not answered',
        ),
    );
  }

  /** An event handler's answer to a query: sent to the origin, or refused when it is too large. */
  private answerQuery(e: QueryEvent, out: Uint8Array | 'too-large'): void {
    const log = this.o.logger;
    if (out === 'too-large') {
      const detail = `the event handler wrote more than ${responseLimit(this.config.gossip)} bytes for query ${e.name}`;
      this.refusals?.report({ resource: 'query', reason: 'response-bytes', peer: e.origin, detail });
      return;
    }
    // A run killed while the agent stops still ends here; the node is closed by then.
    if (this.stopping) return;
    const ref = { origin: e.origin, originAddr: e.originAddr, generation: e.generation, seq: e.seq };
    const result = this.node.run((node, now) => node.respondQuery(ref, out, now));
    if (result !== 'sent') log.debug({ query: e.id, result }, 'query answer not sent');
    else this.emit(queryResponseEvent('sent', e, this.name, e.origin, false, out));
  }

  /**
   * Says once how the start-up join through `join` went. No seed reachable: exit status 1 (after
   * closing everything), or with retryJoin one line saying that and why the join is being retried.
   */
  private watchJoin(): void {
    const c = this.config;
    const log = this.o.logger;
    const slowAfterMs = this.o.joinSlowAfterMs ?? 10_000;
    const watch = new JoinWatch({
      contacts: Math.min(new Set(c.join).size, JOIN_CONTACTS),
      joined: () => this.isJoined(),
      retry: c.retryJoin === true,
      slowAfterMs,
      onSlow: () =>
        log.warn(
          { seeds: c.join, afterMs: slowAfterMs },
          'join is slow: no seed has answered or failed yet; still waiting',
        ),
      onJoined: () => log.info({ members: this.node.node.counts().alive }, 'joined the cluster'),
      onUnreachable: (reasons) => {
        if (watch.state === 'retrying') {
          log.warn(
            { seeds: c.join, reasons },
            'no seed reachable yet; retrying the join until one answers (retryJoin)',
          );
          return;
        }
        this.failure = new StartupError(
          `cannot join: no seed reachable (${reasons.join('; ')}); start a seed first, check --join, or pass --retry-join true to keep trying`,
        );
        log.error({ seeds: c.join, reasons }, 'cannot join: no seed reachable; stopping');
        void this.shutdown('join failed');
      },
    });
    this.joinWatch = watch;
    watch.start();
    this.closers.push(() => watch.stop());
  }

  /**
   * Transport and core errors, one line each. An unreachable peer is expected (a seed not up yet, a
   * member that died): while joining it feeds the join report, afterwards it is a debug line.
   */
  private onTransportError(err: unknown, context: string): void {
    const log = this.o.logger;
    if (isUnreachable(err)) {
      const peer = errorPeer(err) ?? 'peer';
      for (const l of this.peerFailureListeners) l(peer, describeNetError(err));
      if (this.joinWatch?.noteFailure(peer, describeNetError(err))) return;
      log.debug({ peer, reason: describeNetError(err), context }, 'peer unreachable');
      return;
    }
    if (context.startsWith('core-')) {
      log.warn({ err, context }, 'gossip core error');
      return;
    }
    this.transportLog.log(
      context,
      { context, error: escapeControl(err instanceof Error ? err.message : String(err)) },
      'gossip transport error',
    );
  }

  private isJoined(): boolean {
    const counts = this.node.node.counts();
    if (counts.alive + counts.suspect > 1) this.joined = true;
    return this.joined;
  }

  private watchConfig(): void {
    const { configFile, reloadConfig } = this.o;
    if (configFile && reloadConfig) {
      const w = watchConfigFile(configFile, () => this.reload(reloadConfig));
      this.closers.push(() => w.close());
    }
    if (this.config.keyringFile && reloadConfig) {
      const w = watchConfigFile(this.config.keyringFile, () => this.reload(reloadConfig, true));
      this.closers.push(() => w.close());
    }
  }

  /** Applies what can change live; records what needs a restart. Never stops the agent. */
  reload(reloadConfig: () => AgentConfig, keyringChanged = false): void {
    const log = this.o.logger;
    let next: AgentConfig;
    try {
      next = reloadConfig();
    } catch (err) {
      log.error(
        { err: String(err instanceof Error ? err.message : err) },
        'config reload failed; keeping the running config',
      );
      return;
    }
    const { live, restartRequired } = diffConfig(this.config, next);
    // What runs from now on: the new config, except fields that only a restart can change.
    const applied: AgentConfig = {
      ...next,
      name: this.config.name,
      bind: this.config.bind,
      advertise: this.config.advertise,
      http: this.config.http,
      joinDns: this.config.joinDns,
      apiTokenFile: this.config.apiTokenFile,
      gossip: { ...next.gossip, cluster: this.config.gossip.cluster },
    };
    try {
      this.node.run((node, now) => {
        if (live.some((p) => p.startsWith('gossip.'))) node.reconfigure(applied.gossip, now);
        if (live.includes('tags'))
          node.setTags(withVersionTags(applied.tags, applied.gossip.maxTagBytes), now);
        if (live.includes('keyringFile') || keyringChanged) {
          // Through LocalNode: the transport's first-frame authentication follows the new keyring too.
          this.applyKeyring(applied.keyringFile ? readKeyringFile(applied.keyringFile) : null);
        }
        if (live.includes('join')) node.join(applied.join, now);
      });
    } catch (err) {
      log.error(
        { err: String(err instanceof Error ? err.message : err) },
        'config reload rejected; keeping the running config',
      );
      return;
    }
    if (live.includes('logLevel')) log.level = applied.logLevel;
    this.config = applied;
    // The running config keeps the old restart-only values, so this is what still differs from the file.
    this.restartRequired = restartRequired;
    if (live.length > 0 || keyringChanged)
      log.info({ applied: live, keyringReloaded: keyringChanged }, 'config reloaded');
    if (restartRequired.length > 0)
      log.warn({ restartRequired }, 'config changes need a restart to take effect');
  }

  // ───────────────────────────── AgentApi ─────────────────────────────

  self(): SelfView {
    const n = this.node.node;
    const view = memberView(n.self(), this.lastChange.get(n.name) ?? 0);
    const needsJoin = this.config.join.length > 0 || this.config.joinDns !== undefined;
    return {
      ...view,
      cluster: this.config.gossip.cluster,
      ready: !this.stopping && (!needsJoin || this.isJoined() || this.alone),
      healthScore: n.healthScore(),
      viewDigest: n.viewDigest(),
      restartRequired: this.restartRequired,
      leaving: n.isLeaving(),
    };
  }

  members(): MemberView[] {
    return this.node.node.members().map((m) => memberView(m, this.lastChange.get(m.name) ?? 0));
  }

  subscribe(listener: (e: AgentEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fireEvent(name: string, payload: Uint8Array, opts?: { directMail?: boolean }): void {
    this.node.run((node, now) => node.fireEvent(name, payload, now, opts));
  }

  kvGet(key: string): Uint8Array | undefined {
    return this.node.node.kvGet(key);
  }

  kvPut(key: string, value: Uint8Array): void {
    this.node.run((node, now) => node.kvPut(key, value, now));
  }

  kvDelete(key: string): boolean {
    if (this.node.node.kvGet(key) === undefined) return false;
    this.node.run((node, now) => node.kvDelete(key, now));
    return true;
  }

  leave(): Promise<void> {
    return this.shutdown('leave requested');
  }

  // ─────────────────────── AgentControl (run-time CLI commands) ───────────────────────

  info(): AgentInfo {
    const self = this.self();
    const mem = process.memoryUsage();
    const c = this.config;
    return {
      name: self.name,
      addr: self.addr,
      cluster: self.cluster,
      version: agentVersion(),
      protocol: WIRE_VERSION,
      runtime: {
        node: process.version,
        pid: process.pid,
        uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
      },
      ready: self.ready,
      leaving: self.leaving,
      healthScore: self.healthScore,
      viewDigest: self.viewDigest,
      members: { ...this.node.node.counts() },
      encrypted: this.encrypted,
      tags: self.tags,
      config: {
        bind: c.bind,
        http: this.httpUrl,
        join: c.join,
        joinDns: c.joinDns ?? null,
        eventHandler: c.eventHandler ?? null,
      },
    };
  }

  async join(addrs: string[], timeoutMs: number): Promise<JoinResult> {
    const failures = new Map<string, string>();
    const onFailure = (peer: string, reason: string): void => void failures.set(peer, reason);
    this.peerFailureListeners.add(onFailure);
    const reached = (): string[] => {
      const alive = new Set(
        this.node.node
          .members()
          .filter((m) => m.state === 'alive')
          .map((m) => m.addr),
      );
      return addrs.filter((a) => alive.has(a));
    };
    try {
      this.node.run((node, now) => node.join(addrs, now));
      const deadline = Date.now() + timeoutMs;
      while (
        Date.now() < deadline &&
        reached().length + addrs.filter((a) => failures.has(a)).length < addrs.length
      )
        await sleep(25);
      const ok = reached();
      return {
        joined: ok,
        failed: addrs
          .filter((a) => !ok.includes(a))
          .map((addr) => ({ addr, reason: failures.get(addr) ?? `no answer within ${timeoutMs} ms` })),
      };
    } finally {
      this.peerFailureListeners.delete(onFailure);
    }
  }

  updateTags(set: Record<string, string>, remove: string[]): Record<string, string> {
    const current = { ...this.node.node.self().tags };
    for (const k of remove) delete current[k];
    const next = withVersionTags({ ...current, ...set }, this.config.gossip.maxTagBytes);
    this.node.run((node, now) => node.setTags(next, now));
    return next;
  }

  forceLeave(name: string): ForceLeaveDecision {
    return this.node.run((node, now) => node.forceLeave(name, now));
  }

  kvList(prefix: string): KvListing[] {
    return this.node.node.kvList(prefix).map((e) => ({
      key: e.key,
      bytes: e.value?.length ?? 0,
      writer: e.writer,
      at: e.at,
    }));
  }

  async metrics(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.metricsRegistry.contentType, body: await this.metricsRegistry.text() };
  }

  /**
   * Graceful stop: announce leave, wait (bounded) until the rumor has been sent its quota of times
   * and every direct-mail copy was acknowledged or given up, then close the API and the sockets.
   */
  shutdown(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      const log = this.o.logger;
      log.info({ reason }, 'leaving the cluster');
      this.node.run((node, now) => node.leave(now));
      const deadline = Date.now() + (this.o.leaveTimeoutMs ?? 5_000);
      const n = this.node.node;
      // Done when the rumor has had its sends and every mail was acknowledged or given up — or when
      // no live peer is left to tell (everyone leaving at once), instead of waiting out the bound.
      const spreading = () => {
        const c = n.counts();
        return (n.pendingRumors() > 0 || n.pendingMail() > 0) && c.alive + c.suspect > 0;
      };
      while (Date.now() < deadline && spreading()) await sleep(50);
      for (const close of this.closers) await close();
      log.info({ spread: n.pendingRumors() === 0 && n.pendingMail() === 0 }, 'agent stopped');
      this.resolveStopped();
    })();
    return this.stopping;
  }

  private onCoreEvent(e: CoreEvent): void {
    const at = Date.now();
    this.metricsRegistry?.observe(e, at);
    if (e.type === 'member') this.lastChange.set(e.member.name, at);
    if (e.type === 'member-reaped') this.lastChange.delete(e.name);
    if (this.queryCollector?.onCoreEvent(e)) return;
    if (e.type === 'query' && e.name.startsWith(INTERNAL_QUERY_PREFIX)) {
      this.onInternalQuery(e);
      return;
    }
    if (e.type === 'tag-matcher-needed') {
      this.resumeQueriesWithTagMatcher();
      return;
    }
    if (e.type === 'refused') {
      this.refusals?.report({ resource: e.resource, reason: e.reason, peer: e.peer, detail: e.detail });
      return;
    }
    if (e.type === 'dropped') {
      // Counted in grapevine_packets_dropped_total; one line per reason per interval.
      this.transportLog.log(
        `dropped/${e.reason}`,
        { reason: e.reason, detail: escapeControl(e.detail) },
        'dropped a record from a peer (further lines of this kind are rate-limited)',
      );
      return;
    }
    const out = toAgentEvent(e, at, monotonicNow());
    if (out) this.emit(out);
  }

  private emit(out: AgentEvent): void {
    for (const l of this.listeners) {
      try {
        l(out);
      } catch (err) {
        this.o.logger.warn({ err }, 'event subscriber failed');
      }
    }
  }
}

function readToken(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (!token) throw new Error(`API token file ${path} is empty`);
  return token;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
