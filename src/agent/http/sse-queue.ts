// The frames waiting for one event-stream client, bounded in bytes. The HTTP response pulls from it
// only as fast as the socket drains, so what a client has not read stays here, where it is counted:
// past maxBytes the client is dropped (it can reconnect) instead of growing the agent's memory.

export class SseQueue {
  private readonly frames: Uint8Array[] = [];
  private queued = 0;
  private waiter: (() => void) | null = null;
  private ended = false;
  private failure: Error | null = null;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.queued;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Queues a frame; false (and nothing queued) when it would pass maxBytes or the queue is closed. */
  push(frame: Uint8Array): boolean {
    if (this.ended) return false;
    if (this.queued + frame.length > this.maxBytes) return false;
    this.frames.push(frame);
    this.queued += frame.length;
    this.wake();
    return true;
  }

  /**
   * The next frame, waiting for one; null once closed (frames still queued are discarded); throws
   * the error the queue was failed with, so the response is aborted rather than ended.
   */
  async next(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.ended) return null;
      const frame = this.frames.shift();
      if (frame !== undefined) {
        this.queued -= frame.length;
        return frame;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** Ends the stream: cleanly, or with `failure` to abort the connection (a client left behind). */
  close(failure?: Error): void {
    if (failure && !this.ended) this.failure = failure;
    this.ended = true;
    this.frames.length = 0;
    this.queued = 0;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
