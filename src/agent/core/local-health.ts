// Lifeguard's local health awareness: when this node misses acks and nacks, it is probably the slow
// one, so it stretches its own probe interval and timeout instead of accusing healthy peers.
export class LocalHealth {
  private value = 0;

  constructor(private max: number) {}

  setMax(max: number): void {
    this.max = max;
    this.apply(0);
  }

  get score(): number {
    return this.value;
  }

  apply(delta: number): void {
    this.value = Math.min(this.max - 1, Math.max(0, this.value + delta));
  }

  scale(ms: number): number {
    return ms * (this.value + 1);
  }
}
