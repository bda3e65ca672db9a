import type { Logger } from 'pino';

export type StopStep = { readonly name: string; readonly stop: () => Promise<void> | void };

/**
 * Stops services in the reverse order they started (stop fetching, finish the batch,
 * close stores), once, on SIGINT/SIGTERM; a second signal or a stuck step ends the process.
 */
export class Lifecycle {
  private readonly steps: StopStep[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: Logger, private readonly graceMs = 10_000) {}

  onStop(name: string, stop: () => Promise<void> | void): void {
    this.steps.push({ name, stop });
  }

  stop(): Promise<void> {
    this.stopping ??= this.runSteps();
    return this.stopping;
  }

  /**
   * A part that cannot go on (a consumer that gave up): stop the rest in order, then end the
   * process with status 1 so that its supervisor restarts it. The only other place that ends
   * a service process is the signal handler below.
   */
  fail(error: unknown, reason: string): void {
    this.log.fatal({ err: error }, reason);
    const timer = setTimeout(() => process.exit(1), this.graceMs).unref();
    void this.stop().finally(() => {
      clearTimeout(timer);
      process.exit(1);
    });
  }

  handleSignals(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.stopping) {
        this.log.warn({ signal }, 'second signal, exiting now');
        process.exit(1);
      }
      this.log.info({ signal }, 'stopping');
      const timer = setTimeout(() => {
        this.log.error({ graceMs: this.graceMs }, 'shutdown took too long, exiting');
        process.exit(1);
      }, this.graceMs).unref();
      this.stop().then(
        () => clearTimeout(timer),
        (error: unknown) => {
          this.log.error({ err: error }, 'shutdown failed');
          process.exitCode = 1;
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  private async runSteps(): Promise<void> {
    for (const step of [...this.steps].reverse()) {
      try {
        await step.stop();
        this.log.debug({ step: step.name }, 'stopped');
      } catch (error) {
        this.log.error({ err: error, step: step.name }, 'stop step failed');
      }
    }
  }
}
