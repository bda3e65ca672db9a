import type { RegistryEvent } from '@ifreg/domain';

/** Where a message came from, kept in event metadata (Kafka topic/partition/offset or HTTP). */
export interface MessageOrigin {
  readonly transport: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
}

/** One agent message as a transport delivers it: raw, not yet validated. */
export interface InboundMessage {
  readonly key: string | undefined;
  readonly value: Buffer | string;
  readonly headers: Readonly<Record<string, string>>;
  readonly origin: MessageOrigin;
}

/** An agent message ready to send: key = scope, value = the JSON of DESIGN.md §2.9. */
export interface OutboundMessage {
  readonly key: string;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The answer to one agent message; `position` is at or after where its event is recorded. */
export interface Outcome {
  readonly scope: string;
  readonly event: RegistryEvent;
  readonly position: number;
  /** W3C trace context of the message's trace (traceparent, tracestate), carried back to the agent while tracing. */
  readonly trace?: Readonly<Record<string, string>>;
  /** `JSON.stringify(event)`, when the registrar has it (the JSON the store was given): a publisher may reuse it. */
  readonly eventJson?: string;
}

export interface DeadLetter {
  readonly reason: string;
  readonly message: InboundMessage;
}

/**
 * What a handler may resolve with: the batch is durable (appended), and `sent` settles once
 * its answers (outcomes, dead letters) are acknowledged. A transport commits the batch only
 * after `sent`, and delivers it again when `sent` fails; meanwhile it may go on to the next.
 */
export interface HandledBatch {
  readonly sent: Promise<void>;
}

/** Resolves when the batch is done, or with HandledBatch when only its answers are still on their way. */
export type BatchHandler = (batch: readonly InboundMessage[]) => Promise<HandledBatch | void>;

/** Agents → registrar. */
export interface AgentMessageProducer {
  send(messages: readonly OutboundMessage[]): Promise<void>;
}

/** Registrar side of the agent-message topic; at-least-once, batches in order per key. */
export interface AgentMessageConsumer {
  start(handler: BatchHandler): Promise<void>;
  stop(): Promise<void>;
}

/** Registrar → agents. */
export interface OutcomePublisher {
  publish(outcomes: readonly Outcome[]): Promise<void>;
}

/** Listening side of the outcomes; returns an unsubscribe function. */
export interface OutcomeSource {
  onOutcome(listener: (outcome: Outcome) => void): () => void;
}

export interface DeadLetterPublisher {
  deadLetter(records: readonly DeadLetter[]): Promise<void>;
}

/**
 * Thrown by a batch handler when some messages must be handed to it again (their scope failed
 * for a transient reason) and the rest of the batch is done. A transport that can, holds back
 * only the retried messages' keys; any other transport may redeliver the whole batch.
 */
export class BatchRetryError extends Error {
  constructor(
    readonly retry: readonly InboundMessage[],
    override readonly cause: unknown,
  ) {
    super(`${retry.length} message(s) to retry: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'BatchRetryError';
  }
}
