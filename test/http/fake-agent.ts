// A small in-memory AgentApi: enough state to see what the HTTP layer asked of the agent.
import type { AgentApi, AgentEvent, MemberView, SelfView } from '../../src/agent/agent-api.js';
import { LIMITS } from '../../src/agent/wire/limits.js';

export class FakeAgent implements AgentApi {
  readonly kv = new Map<string, Uint8Array>();
  readonly fired: { name: string; payload: Uint8Array; directMail?: boolean }[] = [];
  readonly listeners = new Set<(e: AgentEvent) => void>();
  leaveCalls = 0;
  ready = true;
  leaving = false;
  /** Set to make every call throw this (to see how unexpected errors are reported). */
  failWith: Error | null = null;
  memberList: MemberView[] = [
    member('node-b', '10.0.0.2:7946', 'suspect', 3, { zone: 'b' }),
    member('node-a', '10.0.0.1:7946', 'alive', 1, { zone: 'a', role: 'db' }),
    member('node-c', '10.0.0.3:7946', 'dead', 7, {}),
  ];

  self(): SelfView {
    this.check();
    return {
      ...member('node-a', '10.0.0.1:7946', 'alive', 1, { zone: 'a', role: 'db' }),
      cluster: 'test',
      ready: this.ready,
      healthScore: 0,
      viewDigest: 'abcd',
      restartRequired: ['bind'],
      leaving: this.leaving,
    };
  }
  members(): MemberView[] {
    this.check();
    return this.memberList.map((m) => ({ ...m }));
  }
  subscribe(listener: (e: AgentEvent) => void): () => void {
    this.check();
    // Wrapped so that each subscription is distinct even for the same function.
    const l = (e: AgentEvent): void => listener(e);
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: AgentEvent): void {
    for (const l of this.listeners) l(e);
  }
  fireEvent(name: string, payload: Uint8Array, opts?: { directMail?: boolean }): void {
    this.check();
    if (name.length > LIMITS.eventName)
      throw new RangeError(`event name longer than ${LIMITS.eventName} bytes`);
    if (payload.length > LIMITS.payload)
      throw new RangeError(`event payload larger than ${LIMITS.payload} bytes`);
    this.fired.push({ name, payload, directMail: opts?.directMail });
  }
  kvGet(key: string): Uint8Array | undefined {
    this.check();
    return this.kv.get(key);
  }
  kvPut(key: string, value: Uint8Array): void {
    this.check();
    if (key.length > LIMITS.kvKey) throw new RangeError(`key longer than ${LIMITS.kvKey} bytes`);
    if (value.length > LIMITS.payload) throw new RangeError(`value larger than ${LIMITS.payload} bytes`);
    this.kv.set(key, value);
  }
  kvDelete(key: string): boolean {
    this.check();
    return this.kv.delete(key);
  }
  async leave(): Promise<void> {
    this.leaveCalls++;
    this.leaving = true;
  }
  async metrics(): Promise<{ contentType: string; body: string }> {
    this.check();
    return {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      body: `# TYPE grapevine_members gauge\ngrapevine_members ${this.memberList.length}\n`,
    };
  }
  private check(): void {
    if (this.failWith) throw this.failWith;
  }
}

export function member(
  name: string,
  addr: string,
  state: MemberView['state'],
  incarnation: number,
  tags: Record<string, string>,
  lastChange = 0,
): MemberView {
  return { name, addr, state, incarnation, generation: 1, tags, lastChange };
}

export function userEvent(name: string, payload: string, hops = 1): AgentEvent {
  return {
    kind: 'user-event',
    at: Date.now(),
    name,
    payload,
    payloadBase64: Buffer.from(payload).toString('base64'),
    via: 'rumor',
    origin: 'node-b',
    originTime: Date.now(),
    hops,
  };
}
