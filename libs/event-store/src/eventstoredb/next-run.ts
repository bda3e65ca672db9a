/**
 * Shares runs of an idempotent task between concurrent callers. A caller arriving while
 * a run is under way gets the next run, which starts once the current one ends: it began
 * before the caller asked, so it may have missed what the caller needs to see. Callers
 * arriving while that next run waits share it. So ten appenders refreshing the index at
 * once cause two reads of $all, not ten.
 */
export class NextRun {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly task: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.next) return this.next;
    if (!this.running) return this.start();
    const next = this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    this.next = next;
    return next;
  }

  private start(): Promise<void> {
    const running: Promise<void> = this.task().finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }
}
