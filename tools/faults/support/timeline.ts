import { type Cleanup, sleep } from '@ifreg/testing';

/**
 * Samples a number that only grows (the store's head position) every `everyMs` until
 * stopped, to tell when progress stopped and resumed around a fault. A failed read (the
 * server away) is skipped.
 */
export class HeadWatcher {
  private readonly samples: { at: number; head: number }[] = [];
  private stopped = false;
  readonly done: Promise<void>;

  constructor(read: () => Promise<number | undefined>, cleanup: Cleanup, everyMs = 100) {
    cleanup.add(this, (w) => w.stop(), 'head watcher');
    this.done = (async () => {
      while (!this.stopped) {
        const head = await read().catch(() => undefined);
        if (head !== undefined) this.samples.push({ at: Date.now(), head });
        await sleep(everyMs);
      }
    })();
  }

  /** The last head read. */
  get head(): number {
    return this.samples.at(-1)?.head ?? 0;
  }

  /** The head as it was at `at`. */
  headAt(at: number): number {
    return [...this.samples].reverse().find((s) => s.at <= at)?.head ?? 0;
  }

  /** When the head first grew past what it was at `at`, or undefined. */
  firstGrowthAfter(at: number): number | undefined {
    const before = this.headAt(at);
    return this.samples.find((s) => s.at > at && s.head > before)?.at;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}
