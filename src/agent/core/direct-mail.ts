// Direct mail (Demers et al.): a local update is sent straight to peers and must be acknowledged.
// Unacknowledged sends are retried with exponential backoff; the buffer is bounded and what it
// gives up on is counted, never silently lost.
import type { DirectMailConfig } from '../config/engine-schema.js';
import type { Addr } from '../wire/messages.js';

export interface PendingMail {
  id: number;
  peer: string;
  addr: Addr;
  /** Encoded messages of the update (without the mail header). */
  messages: Uint8Array[];
  attempts: number;
  nextAt: number;
}

export interface MailCounters {
  retries: number;
  dropped: number;
  acked: number;
}

export class DirectMail {
  /** Insertion-ordered, so the first entry is the oldest (evicted first when full). */
  private readonly pending = new Map<string, PendingMail>();
  readonly counters: MailCounters = { retries: 0, dropped: 0, acked: 0 };

  constructor(private cfg: DirectMailConfig) {}

  /** New limits apply to the next send, retry and eviction (hot reload). */
  configure(cfg: DirectMailConfig): void {
    this.cfg = cfg;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Records a first send (the caller transmits it) and returns the entry. */
  add(id: number, peer: string, addr: Addr, messages: Uint8Array[], now: number): PendingMail {
    const mail = { id, peer, addr, messages, attempts: 1, nextAt: now + this.cfg.retryBaseMs };
    this.pending.set(keyOf(peer, id), mail);
    while (this.pending.size > this.cfg.bufferSize) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
      this.counters.dropped++;
    }
    return mail;
  }

  ack(peer: string, id: number): boolean {
    const ok = this.pending.delete(keyOf(peer, id));
    if (ok) this.counters.acked++;
    return ok;
  }

  /** The peer is gone (dead, left, reaped): its undelivered mail is dropped and counted. */
  dropPeer(peer: string): void {
    for (const [key, mail] of this.pending) {
      if (mail.peer === peer) {
        this.pending.delete(key);
        this.counters.dropped++;
      }
    }
  }

  /** Mail due for another attempt; exhausted mail is dropped and counted. */
  due(now: number): PendingMail[] {
    const out: PendingMail[] = [];
    for (const key of [...this.pending.keys()]) {
      const mail = this.dueOne(key, now);
      if (mail) out.push(mail);
    }
    return out;
  }

  /**
   * The mail under `key` (see keyOf) when it is due for another attempt, counted as a retry;
   * undefined when it was acknowledged, is not due yet, or was exhausted (dropped and counted).
   */
  dueOne(key: string, now: number): PendingMail | undefined {
    const mail = this.pending.get(key);
    if (!mail || mail.nextAt > now) return undefined;
    if (mail.attempts >= this.cfg.maxAttempts) {
      this.pending.delete(key);
      this.counters.dropped++;
      return undefined;
    }
    mail.attempts++;
    mail.nextAt = now + this.cfg.retryBaseMs * 2 ** (mail.attempts - 1);
    this.counters.retries++;
    return mail;
  }

  /** When the mail under `key` is due for another attempt (+∞ when it is not pending). */
  dueAt(key: string): number {
    return this.pending.get(key)?.nextAt ?? Number.POSITIVE_INFINITY;
  }

  nextDeadline(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const mail of this.pending.values()) if (mail.nextAt < next) next = mail.nextAt;
    return next;
  }
}

export function keyOf(peer: string, id: number): string {
  return `${peer}/${id}`;
}
