import { setImmediate as tick } from 'node:timers/promises';
import { expect } from 'chai';
import fc from 'fast-check';
import { WorkQueue } from '../../src/operator/controller/work-queue.js';
import { ManualScheduler } from './controller-manual-scheduler.js';

/** Keys get() hands out right now, without waiting (the queue must resolve them synchronously). */
async function drainReady(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.length > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
  }
  return keys;
}

describe('controller work queue', () => {
  it('hands out keys in FIFO order and collapses a key added while it waits', async () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.length).to.equal(2);
    expect(await drainReady(queue)).to.deep.equal(['ns/a', 'ns/b']);
  });

  it('re-queues a key added while it is being processed exactly once, after done()', async () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    queue.add('ns/a');
    const key = await queue.get();
    expect(key).to.equal('ns/a');
    queue.add('ns/a');
    queue.add('ns/a');
    // Not handed to a second worker while the first still holds it.
    expect(queue.length).to.equal(0);
    queue.done('ns/a');
    expect(queue.length).to.equal(1);
    expect(await queue.get()).to.equal('ns/a');
    queue.done('ns/a');
    expect(queue.length).to.equal(0);
  });

  it('wakes a waiting get() when a key arrives', async () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    const pending = queue.get();
    queue.add('ns/x');
    expect(await pending).to.equal('ns/x');
  });

  it('grows the per-key retry delay exponentially up to the ceiling, and forget() resets it', async () => {
    const scheduler = new ManualScheduler();
    const queue = new WorkQueue({ scheduler, backoff: { baseMs: 5, maxMs: 40 } });
    const observed: number[] = [];
    for (let i = 0; i < 6; i++) {
      const start = scheduler.now();
      queue.addRateLimited('ns/a');
      // Find the moment it becomes ready: step 1 ms at a time.
      while (queue.length === 0) scheduler.advance(1);
      observed.push(scheduler.now() - start);
      const key = await queue.get();
      queue.done(key as string);
    }
    expect(observed).to.deep.equal([5, 10, 20, 40, 40, 40]);
    expect(queue.numRequeues('ns/a')).to.equal(6);

    queue.forget('ns/a');
    expect(queue.numRequeues('ns/a')).to.equal(0);
    queue.addRateLimited('ns/a');
    scheduler.advance(4);
    expect(queue.length).to.equal(0);
    scheduler.advance(1);
    expect(queue.length).to.equal(1);
  });

  it('keeps backoff per key: one failing key does not slow another', () => {
    const scheduler = new ManualScheduler();
    const queue = new WorkQueue({ scheduler, backoff: { baseMs: 5, maxMs: 1000 } });
    for (let i = 0; i < 5; i++) queue.addRateLimited('ns/bad'); // delay pending; later calls keep the earliest
    queue.addRateLimited('ns/good');
    scheduler.advance(5);
    // Both due at 5 ms: 'bad' first failure was 5 ms too, later calls with longer delays don't postpone it.
    expect(queue.length).to.equal(2);
    expect(queue.numRequeues('ns/bad')).to.equal(5);
    expect(queue.numRequeues('ns/good')).to.equal(1);
  });

  it('addAfter delays a key and the earliest deadline wins', () => {
    const scheduler = new ManualScheduler();
    const queue = new WorkQueue({ scheduler });
    queue.addAfter('ns/a', 100);
    queue.addAfter('ns/a', 300); // later: ignored
    queue.addAfter('ns/b', 300);
    queue.addAfter('ns/b', 50); // earlier: replaces
    expect(queue.delayedCount).to.equal(2);
    scheduler.advance(50);
    expect(queue.length).to.equal(1);
    scheduler.advance(50);
    expect(queue.length).to.equal(2);
    scheduler.advance(1000);
    expect(queue.length).to.equal(2);
    expect(scheduler.pending).to.equal(0);
  });

  it('addAfter with a non-positive delay adds at once', () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    queue.addAfter('ns/a', 0);
    expect(queue.length).to.equal(1);
  });

  it('shutdown without drain: waiting and later get() answer undefined, delayed keys are dropped', async () => {
    const scheduler = new ManualScheduler();
    const queue = new WorkQueue({ scheduler });
    const waiting = queue.get();
    await queue.shutdown();
    expect(await waiting).to.equal(undefined);

    const queue2 = new WorkQueue({ scheduler });
    queue2.add('ns/a');
    queue2.addAfter('ns/b', 10);
    await queue2.shutdown();
    expect(await queue2.get()).to.equal(undefined);
    expect(scheduler.pending).to.equal(0);
    queue2.add('ns/c');
    expect(queue2.length).to.equal(0);
  });

  it('shutdown with drain hands out queued keys and resolves once every key is done', async () => {
    const queue = new WorkQueue({ scheduler: new ManualScheduler() });
    queue.add('ns/a');
    queue.add('ns/b');
    const first = await queue.get();
    let drained = false;
    const shutdown = queue.shutdown({ drain: true }).then(() => {
      drained = true;
    });
    queue.add('ns/late'); // refused after shutdown
    expect(await queue.get()).to.equal('ns/b');
    queue.done('ns/b');
    await tick();
    expect(drained).to.equal(false); // 'ns/a' still in progress
    queue.done(first as string);
    await shutdown;
    expect(drained).to.equal(true);
    expect(await queue.get()).to.equal(undefined);
  });

  it('property: every added key is processed exactly once after its last add, never concurrently', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
      fc.record({ kind: fc.constant('wait' as const), ticks: fc.integer({ min: 0, max: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 3 }),
        async (ops, workTicks, workers) => {
          let seq = 0;
          const lastAdd = new Map<string, number>();
          // Recorded at the hand-out itself: a worker resumes from get() a microtask later, when an add
          // may already have happened.
          const starts: Array<{ key: string; at: number }> = [];
          const queue = new WorkQueue({
            scheduler: new ManualScheduler(),
            onHandOut: (key) => starts.push({ key, at: seq++ }),
          });
          const active = new Set<string>();
          let overlap = false;
          let jobs = 0;
          const worker = async (): Promise<void> => {
            for (;;) {
              const key = await queue.get();
              if (key === undefined) return;
              if (active.has(key)) overlap = true;
              active.add(key);
              const ticks = workTicks[jobs++ % workTicks.length] ?? 0;
              for (let i = 0; i < ticks; i++) await tick();
              active.delete(key);
              queue.done(key);
            }
          };
          const running = Array.from({ length: workers }, () => worker());
          for (const o of ops) {
            if (o.kind === 'add') {
              lastAdd.set(o.key, seq++);
              queue.add(o.key);
            } else {
              for (let i = 0; i < o.ticks; i++) await tick();
            }
          }
          await queue.shutdown({ drain: true });
          await Promise.all(running);
          expect(overlap, 'a key was processed by two workers at once').to.equal(false);
          for (const [key, at] of lastAdd) {
            const after = starts.filter((s) => s.key === key && s.at > at).length;
            expect(after, `processings of ${key} after its last add`).to.equal(1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
