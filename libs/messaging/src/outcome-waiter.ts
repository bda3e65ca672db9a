import type { Outcome, OutcomeSource } from '@ifreg/ports';

export class OutcomeTimeoutError extends Error {
  constructor(readonly messageId: string, readonly timeoutMs: number) {
    super(`no outcome for message ${messageId} within ${timeoutMs} ms`);
    this.name = 'OutcomeTimeoutError';
  }
}

/** Lets a caller await the outcome of a message it sent, matched by causation id. */
export class OutcomeWaiter {
  private readonly waiting = new Map<string, (outcome: Outcome) => void>();
  private readonly unsubscribe: () => void;

  constructor(source: OutcomeSource) {
    this.unsubscribe = source.onOutcome((outcome) => this.waiting.get(outcome.event.causationId)?.(outcome));
  }

  /** Register before sending, so a fast outcome is not missed. */
  expect(messageId: string, timeoutMs: number): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(messageId);
        reject(new OutcomeTimeoutError(messageId, timeoutMs));
      }, timeoutMs);
      this.waiting.set(messageId, (outcome) => {
        clearTimeout(timer);
        this.waiting.delete(messageId);
        resolve(outcome);
      });
    });
  }

  close(): void {
    this.unsubscribe();
  }
}
