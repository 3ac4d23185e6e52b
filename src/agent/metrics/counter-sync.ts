// Turns absolute counts read from the core into increments for prom-client Counters, which can
// only go up. A count smaller than the last one means the source restarted from zero (a new core
// behind the same agent), so all of it is new: the exported counter stays monotonic.
export class CounterSync {
  private readonly last = new Map<string, number>();

  /** How much to add to the exported counter so that it follows `value` under `key`. */
  delta(key: string, value: number): number {
    const previous = this.last.get(key) ?? 0;
    this.last.set(key, value);
    return value >= previous ? value - previous : value;
  }
}
