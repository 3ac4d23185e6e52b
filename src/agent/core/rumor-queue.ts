// Demers' counter variant of rumor mongering: each rumor is sent a bounded number of times
// (retransmitMult × ceil(log10(N+1))), least-sent first, then it goes cold and is dropped.
//
// Bounded: beyond `cap` rumors the most-transmitted ones are pruned first (they have reached the
// most nodes already; ties: the oldest), and counted in `pruned`. A newer rumor with the same key
// replaces the old one, so the queue holds at most one rumor per member, key and event.
// `take` walks only as far as the packet fills and merges the taken rumors back in O(n), without
// sorting the queue on every packet.

import type { MessageType } from '../wire/messages.js';

export interface QueuedRumor {
  /** Rumors with the same key replace each other (a newer state of the same member or key). */
  key: string;
  type: MessageType;
  bytes: Uint8Array;
  transmits: number;
  id: number;
}

/** Default bound: far above the rumors a healthy cluster has in flight (a few per member change). */
export const DEFAULT_RUMOR_CAP = 8_192;

/** Queue order: fewest transmits first, then newest first. */
function before(a: QueuedRumor, b: QueuedRumor): boolean {
  return a.transmits < b.transmits || (a.transmits === b.transmits && a.id > b.id);
}

export class RumorQueue {
  /** Sorted by `before`. */
  private items: QueuedRumor[] = [];
  private readonly byKey = new Map<string, QueuedRumor>();
  private nextId = 0;
  /** Rumors dropped to keep the queue within its cap. */
  pruned = 0;

  constructor(private readonly cap = DEFAULT_RUMOR_CAP) {}

  get size(): number {
    return this.items.length;
  }

  enqueue(key: string, type: MessageType, bytes: Uint8Array): void {
    const old = this.byKey.get(key);
    if (old) this.items.splice(this.items.indexOf(old), 1);
    const item = { key, type, bytes, transmits: 0, id: this.nextId++ };
    this.byKey.set(key, item);
    // New rumors go first: fewest transmits, newest first.
    this.items.unshift(item);
    while (this.items.length > this.cap) {
      this.byKey.delete(this.items.pop()!.key);
      this.pruned++;
    }
  }

  /**
   * Takes rumors whose framed sizes fit in `budget` bytes, least transmitted first, and counts a
   * transmission for each; rumors that reached `limit` are dropped.
   */
  take(budget: number, limit: number, framedSize: (b: Uint8Array) => number): QueuedRumor[] {
    if (this.items.length === 0) return [];
    const out: QueuedRumor[] = [];
    const rest: QueuedRumor[] = [];
    let left = budget;
    let i = 0;
    for (; i < this.items.length; i++) {
      const item = this.items[i]!;
      const size = framedSize(item.bytes);
      if (size > left) {
        rest.push(item);
        continue;
      }
      left -= size;
      out.push(item);
      if (left < 8 || out.length >= 120) {
        i++;
        break;
      }
    }
    if (out.length === 0) return out;
    // The taken rumors stay sorted among themselves after +1; merge them with the untouched rest.
    const kept: QueuedRumor[] = [];
    for (const item of out) {
      item.transmits++;
      if (item.transmits >= limit) this.byKey.delete(item.key);
      else kept.push(item);
    }
    for (; i < this.items.length; i++) rest.push(this.items[i]!);
    this.items = merge(kept, rest);
    return out;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }
}

function merge(a: QueuedRumor[], b: QueuedRumor[]): QueuedRumor[] {
  if (a.length === 0) return b;
  const out: QueuedRumor[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = before(b[j]!, a[i]!) ? b[j++]! : a[i++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
