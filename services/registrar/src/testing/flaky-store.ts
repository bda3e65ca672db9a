import type { AllHandler, AppendResult, EventData, EventStore, ExpectedRevision, RecordedEvent, SubscribeOptions, Subscription } from '@ifreg/ports';

class InjectedTransientFailure extends Error {
  constructor(stream: string) {
    super(`injected transient failure on ${stream}`);
  }
}

export interface FlakyStoreOptions {
  /** Appends holding an event for which this is true fail with a lasting error, every time. */
  readonly lasting?: (event: { type: string; causationId?: string }) => boolean;
  /** Appends to this stream fail with a transient error `transientFailures` times. */
  readonly transientFor?: string;
  readonly transientFailures?: number;
}

/** A real store with failures injected into its appends (registrar tests of DESIGN §2.4). */
export class FlakyStore implements EventStore {
  private transientLeft: number;

  constructor(private readonly inner: EventStore, private readonly options: FlakyStoreOptions) {
    this.transientLeft = options.transientFailures ?? 0;
  }

  append(stream: string, events: readonly EventData[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    const lasting = this.options.lasting;
    if (lasting && events.some((e) => lasting(e.data as { type: string; causationId?: string }))) {
      return Promise.reject(new Error('injected lasting failure'));
    }
    if (stream === this.options.transientFor && this.transientLeft > 0) {
      this.transientLeft -= 1;
      return Promise.reject(new InjectedTransientFailure(stream));
    }
    return this.inner.append(stream, events, expectedRevision);
  }

  isTransient(error: unknown): boolean {
    return error instanceof InjectedTransientFailure || this.inner.isTransient(error);
  }

  readStream(stream: string, fromRevision?: number): Promise<RecordedEvent[]> {
    return this.inner.readStream(stream, fromRevision);
  }

  readByIds(stream: string, ids: readonly string[]): Promise<RecordedEvent[]> {
    return this.inner.readByIds(stream, ids);
  }

  readAll(from: number, limit: number): Promise<RecordedEvent[]> {
    return this.inner.readAll(from, limit);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  subscribeAll(handler: AllHandler, options: SubscribeOptions): Subscription {
    return this.inner.subscribeAll(handler, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
