// One timer structure for the whole node (foca's typed timers): modules schedule typed timers
// here, and the node asks only for the earliest one, so finding the next deadline costs O(1) and
// never scans suspicions, relays or pending mail. Timers are not cancelled: a handler checks that
// its timer is still due (a suspicion refuted, mail acknowledged) and ignores it otherwise.

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
    heap.push({ at, seq: this.seq++, timer });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** The earliest scheduled time (+∞ when nothing is scheduled). */
  next(): number {
    return this.heap[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the earliest timer due at `now`, if any. */
  popDue(now: number): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (!top || top.at > now) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top.timer;
  }
}

function before(a: Slot, b: Slot): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
