/** Sequence numbers tracked below the highest seen; older ones count as replays. */
export const REPLAY_WINDOW = 1024;
const WORDS = REPLAY_WINDOW / 32;

interface SenderWindow {
  generation: number;
  highest: number;
  /** Bit (seq mod REPLAY_WINDOW) is set when seq in (highest - REPLAY_WINDOW, highest] was seen. */
  seen: Uint32Array;
}

/**
 * Accepts each (sender name, generation, seq) once. A newer generation (the sender restarted) resets
 * its window; an older one is a replay. Memory is one 128-byte bitmap per sender; call forget() when
 * a member is reaped.
 */
export class ReplayWindow {
  private readonly senders = new Map<string, SenderWindow>();

  get size(): number {
    return this.senders.size;
  }

  check(name: string, generation: number, seq: number): 'ok' | 'replay' {
    const w = this.senders.get(name);
    if (w === undefined || generation > w.generation) {
      const fresh: SenderWindow = { generation, highest: seq, seen: new Uint32Array(WORDS) };
      mark(fresh.seen, seq);
      this.senders.set(name, fresh);
      return 'ok';
    }
    if (generation < w.generation) return 'replay';
    if (seq > w.highest) {
      // Slide forward: the slots of seqs highest+1..seq are reused, so clear them first.
      const advance = seq - w.highest;
      if (advance >= REPLAY_WINDOW) {
        w.seen.fill(0);
      } else {
        for (let s = w.highest + 1; s < seq; s++) unmark(w.seen, s);
      }
      mark(w.seen, seq);
      w.highest = seq;
      return 'ok';
    }
    if (w.highest - seq >= REPLAY_WINDOW) return 'replay';
    if (isMarked(w.seen, seq)) return 'replay';
    mark(w.seen, seq);
    return 'ok';
  }

  forget(name: string): void {
    this.senders.delete(name);
  }
}

function slot(seq: number): [word: number, bit: number] {
  const i = seq % REPLAY_WINDOW;
  return [i >>> 5, 1 << (i & 31)];
}

function mark(seen: Uint32Array, seq: number): void {
  const [word, bit] = slot(seq);
  seen[word] = seen[word]! | bit;
}

function unmark(seen: Uint32Array, seq: number): void {
  const [word, bit] = slot(seq);
  seen[word] = seen[word]! & ~bit;
}

function isMarked(seen: Uint32Array, seq: number): boolean {
  const [word, bit] = slot(seq);
  return (seen[word]! & bit) !== 0;
}
