// The open suspicions of one node: started when a probe fails or a suspect record arrives,
// shortened by independent confirmations (Lifeguard), and turned into deaths when they expire.
// Each deadline is handed to the node's timer heap; an expired timer whose suspicion was refuted
// or shortened meanwhile is recognised here and ignored.
import type { MemberRecord } from '../wire/messages.js';
import { Suspicion, type SuspicionTimeouts } from './suspicion.js';

export class Suspicions {
  private readonly open = new Map<string, Suspicion>();

  /** `schedule` is told each (new or shortened) deadline; it calls expired(name) back then. */
  constructor(private readonly schedule: (at: number, name: string) => void) {}

  get size(): number {
    return this.open.size;
  }

  start(rec: MemberRecord, suspector: string, timeouts: SuspicionTimeouts, now: number): void {
    const s = new Suspicion(rec.incarnation, rec.generation, now, timeouts, suspector);
    this.open.set(rec.name, s);
    this.schedule(s.deadline, rec.name);
  }

  /** Records an independent confirmation; true when it was new (and so worth passing on). */
  confirm(name: string, from: string): boolean {
    const s = this.open.get(name);
    if (!s?.confirm(from)) return false;
    this.schedule(s.deadline, name);
    return true;
  }

  /** The suspect's own host refused a probe: expire by `at` at the latest. */
  cap(name: string, at: number): void {
    const s = this.open.get(name);
    if (s?.cap(at)) this.schedule(s.deadline, name);
  }

  clear(name: string): void {
    this.open.delete(name);
  }

  /** The suspicion of `name` when its deadline has passed (it is closed); otherwise undefined. */
  expired(name: string, now: number): Suspicion | undefined {
    const s = this.open.get(name);
    if (!s || now < s.deadline) return undefined;
    this.open.delete(name);
    return s;
  }
}
