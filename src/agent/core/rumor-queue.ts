// Demers' counter variant of rumor mongering: each rumor is sent a bounded number of times
// (retransmitMult × ceil(log10(N+1))), least-sent first, then it goes cold and is dropped.

import type { MessageType } from '../wire/messages.js';

export interface QueuedRumor {
  /** Rumors with the same key replace each other (a newer state of the same member or key). */
  key: string;
  type: MessageType;
  bytes: Uint8Array;
  transmits: number;
  id: number;
}

export class RumorQueue {
  private items: QueuedRumor[] = [];
  private readonly byKey = new Map<string, QueuedRumor>();
  private nextId = 0;

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
  }

  /**
   * Takes rumors whose framed sizes fit in `budget` bytes, least transmitted first, and counts a
   * transmission for each; rumors that reached `limit` are dropped.
   */
  take(budget: number, limit: number, framedSize: (b: Uint8Array) => number): QueuedRumor[] {
    if (this.items.length === 0) return [];
    const out: QueuedRumor[] = [];
    let left = budget;
    let changed = false;
    for (const item of this.items) {
      const size = framedSize(item.bytes);
      if (size > left) continue;
      left -= size;
      out.push(item);
      item.transmits++;
      changed = true;
      if (left < 8 || out.length >= 120) break;
    }
    if (changed) {
      const keep: QueuedRumor[] = [];
      for (const item of this.items) {
        if (item.transmits >= limit) this.byKey.delete(item.key);
        else keep.push(item);
      }
      keep.sort((a, b) => a.transmits - b.transmits || b.id - a.id);
      this.items = keep;
    }
    return out;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }
}
