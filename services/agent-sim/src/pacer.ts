export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Token-bucket pacing of the overall message rate. The bucket holds at most 50 ms worth
 * of messages (at least 1, at most `maxBurst`), so sends come in small, regular batches
 * instead of one burst per second. Rate 0 means no pacing.
 */
export class Pacer {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(private readonly rate: number, private readonly maxBurst: number, private readonly clock: Clock = systemClock) {
    this.capacity = Math.min(maxBurst, Math.max(1, rate * 0.05));
    this.tokens = this.capacity;
    this.last = clock.now();
  }

  /** Waits until at least one message may go; answers how many (1..wanted) may go now. */
  async take(wanted: number): Promise<number> {
    if (wanted <= 0) return 0;
    if (this.rate <= 0) return Math.min(wanted, this.maxBurst);
    this.refill();
    if (this.tokens < 1) {
      await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
      this.refill();
    }
    const granted = Math.max(1, Math.min(wanted, Math.floor(this.tokens)));
    this.tokens -= granted;
    return granted;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}
