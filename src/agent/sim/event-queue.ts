// A binary min-heap of timed events for the simulator. Events order by time, then by insertion
// order, so a run is deterministic. Keys live in parallel typed arrays and each event is three small
// integers plus an optional reference: no per-event closure or object, which matters at millions of events.

/** One event as it leaves the queue. The object is reused by `pop()`; copy fields you keep. */
export interface PoppedEvent<T> {
  time: number;
  kind: number;
  /** Caller-defined integer (e.g. a node index). */
  a: number;
  /** Caller-defined integer (e.g. a second node index). */
  b: number;
  ref: T | undefined;
}

export class EventQueue<T = unknown> {
  private times: Float64Array;
  private seqs: Float64Array;
  private kinds: Int32Array;
  private as: Int32Array;
  private bs: Int32Array;
  private refs: Array<T | undefined>;
  private count = 0;
  private nextSeq = 0;
  private readonly popped: PoppedEvent<T> = { time: 0, kind: 0, a: 0, b: 0, ref: undefined };

  constructor(initialCapacity = 1024) {
    const cap = Math.max(16, initialCapacity);
    this.times = new Float64Array(cap);
    this.seqs = new Float64Array(cap);
    this.kinds = new Int32Array(cap);
    this.as = new Int32Array(cap);
    this.bs = new Int32Array(cap);
    this.refs = new Array<T | undefined>(cap).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.count > 0 ? (this.times[0] as number) : Number.POSITIVE_INFINITY;
  }

  push(time: number, kind: number, a = 0, b = 0, ref?: T): void {
    if (Number.isNaN(time)) throw new RangeError('event time is NaN');
    if (this.count === this.times.length) this.grow();
    const seq = this.nextSeq++;
    // Sift up with a hole instead of swaps: fewer writes.
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.times[parent] as number;
      if (pt < time || (pt === time && (this.seqs[parent] as number) < seq)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, time, seq, kind, a, b, ref);
  }

  /** Removes and returns the earliest event (a reused object), or undefined when empty. */
  pop(): PoppedEvent<T> | undefined {
    if (this.count === 0) return undefined;
    const out = this.popped;
    out.time = this.times[0] as number;
    out.kind = this.kinds[0] as number;
    out.a = this.as[0] as number;
    out.b = this.bs[0] as number;
    out.ref = this.refs[0];
    const last = --this.count;
    if (last > 0) {
      const time = this.times[last] as number;
      const seq = this.seqs[last] as number;
      const kind = this.kinds[last] as number;
      const a = this.as[last] as number;
      const b = this.bs[last] as number;
      const ref = this.refs[last];
      // Sift the former last element down from the root.
      let i = 0;
      const half = last >> 1;
      while (i < half) {
        let child = 2 * i + 1;
        const right = child + 1;
        if (right < last && this.less(right, child)) child = right;
        const ct = this.times[child] as number;
        if (time < ct || (time === ct && seq < (this.seqs[child] as number))) break;
        this.move(child, i);
        i = child;
      }
      this.set(i, time, seq, kind, a, b, ref);
    }
    this.refs[last] = undefined; // let the payload be collected
    return out;
  }

  clear(): void {
    this.refs.fill(undefined, 0, this.count);
    this.count = 0;
  }

  private less(i: number, j: number): boolean {
    const ti = this.times[i] as number;
    const tj = this.times[j] as number;
    return ti < tj || (ti === tj && (this.seqs[i] as number) < (this.seqs[j] as number));
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] as number;
    this.seqs[to] = this.seqs[from] as number;
    this.kinds[to] = this.kinds[from] as number;
    this.as[to] = this.as[from] as number;
    this.bs[to] = this.bs[from] as number;
    this.refs[to] = this.refs[from];
  }

  private set(
    i: number,
    time: number,
    seq: number,
    kind: number,
    a: number,
    b: number,
    ref: T | undefined,
  ): void {
    this.times[i] = time;
    this.seqs[i] = seq;
    this.kinds[i] = kind;
    this.as[i] = a;
    this.bs[i] = b;
    this.refs[i] = ref;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const grow64 = (src: Float64Array) => {
      const dst = new Float64Array(cap);
      dst.set(src);
      return dst;
    };
    const grow32 = (src: Int32Array) => {
      const dst = new Int32Array(cap);
      dst.set(src);
      return dst;
    };
    this.times = grow64(this.times);
    this.seqs = grow64(this.seqs);
    this.kinds = grow32(this.kinds);
    this.as = grow32(this.as);
    this.bs = grow32(this.bs);
    const refs = new Array<T | undefined>(cap).fill(undefined);
    for (let i = 0; i < this.count; i++) refs[i] = this.refs[i];
    this.refs = refs;
  }
}
