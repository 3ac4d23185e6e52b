// One timer structure for the whole node (foca's typed timers): modules schedule typed timers
// here, and the node asks only for the earliest one, so finding the next deadline costs O(1) and
// never scans suspicions, relays or pending mail. Timers are not cancelled: a handler checks that
// its timer is still due (a suspicion refuted, mail acknowledged) and ignores it otherwise. So
// that such a stale timer does not wake the process for nothing, the node drops it from the top
// before it reports its next deadline (dropStale).

export type Timer =
  | { kind: 'probe' }
  | { kind: 'gossip' }
  | { kind: 'anti-entropy' }
  | { kind: 'reconnect' }
  | { kind: 'maintain' }
  | { kind: 'suspicion'; name: string }
  | { kind: 'mail'; key: string }
  | { kind: 'query'; seq: number };

interface Slot {
  at: number;
  seq: number;
  timer: Timer;
}

/** A binary min-heap of timers ordered by (time, scheduling order). */
export class Deadlines {
  private readonly heap: Slot[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  schedule(at: number, timer: Timer): void {
    const heap = this.heap;
    const slot: Slot = { at, seq: this.seq++, timer };
    // Sift up with a hole: parents move down, the new slot is written once.
    let i = heap.length;
    heap.push(slot);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(slot, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = slot;
  }

  /** The earliest scheduled time (+∞ when nothing is scheduled). */
  next(): number {
    return this.heap[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Removes timers from the top while `live` says that firing them at their time would do nothing
   * (lazy cancellation); stops at the first live one. Each removal is O(log n).
   */
  dropStale(live: (timer: Timer, at: number) => boolean): void {
    for (let top = this.heap[0]; top && !live(top.timer, top.at); top = this.heap[0]) this.popDue(top.at);
  }

  /** Removes and returns the earliest timer due at `now`, if any. */
  popDue(now: number): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (!top || top.at > now) return undefined;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      // Sift the former last slot down from the root with a hole.
      let i = 0;
      for (;;) {
        let m = 2 * i + 1;
        if (m >= n) break;
        const r = m + 1;
        if (r < n && before(heap[r]!, heap[m]!)) m = r;
        const child = heap[m]!;
        if (!before(child, last)) break;
        heap[i] = child;
        i = m;
      }
      heap[i] = last;
    }
    return top.timer;
  }
}

function before(a: Slot, b: Slot): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
