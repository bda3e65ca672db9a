import { isUtf8 } from 'node:buffer';
import { createHash, randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { DeadLetter, DeadLetterPublisher, InboundMessage, Outcome, OutcomePublisher } from '@ifreg/ports';
import { CE_SPECVERSION } from './cloud-events';
import { KafkaSender, type Sender } from './kafka-sender';

/*
 * Each publisher owns its producer, with connect()/disconnect() like KafkaAgentProducer: the
 * composition root wires and closes them one by one (connect before the consumer starts,
 * disconnect after it stopped, so the last batch's publishes are not cut off). Sharing one
 * producer would save a connection and a producer id per process, not worth a shared owner.
 */

/** The producer and its life cycle, common to both publishers. */
abstract class OwnProducer {
  protected readonly sender: Sender;

  /** `sender` replaces the producer of this thread, e.g. with a ThreadSender. */
  constructor(kafka: Kafka, sender?: Sender) {
    this.sender = sender ?? new KafkaSender(kafka);
  }

  connect(): Promise<void> {
    return this.sender.connect();
  }

  disconnect(): Promise<void> {
    return this.sender.disconnect();
  }
}

export interface KafkaOutcomePublisherOptions {
  readonly topic: string;
  /** `ce_source` of the outcomes. */
  readonly source?: string;
  /** Sends with this instead of a producer of its own (e.g. a ThreadSender). */
  readonly sender?: Sender;
}

/** Registrar → agents: the recorded event with the store position, key = scope. */
export class KafkaOutcomePublisher extends OwnProducer implements OutcomePublisher {
  constructor(kafka: Kafka, private readonly options: KafkaOutcomePublisherOptions) {
    super(kafka, options.sender);
  }

  publish(outcomes: readonly Outcome[]): Promise<void> {
    return this.sender.send(
      this.options.topic,
      outcomes.map(({ scope, event, position, trace, eventJson }) => ({
        key: scope,
        value: outcomeValue(event, position, eventJson),
        headers: {
          ce_specversion: CE_SPECVERSION,
          // One outcome per message: the id is stable across re-publishing after a redelivery.
          ce_id: `${event.causationId}:outcome`,
          ce_type: event.type,
          ce_source: this.options.source ?? 'ifreg-registrar',
          ce_time: event.at,
          // No causationId header: the value carries it (DESIGN §2.9), and each header costs the
          // sender thread CPU per record (services/bench/README.md).
          ...trace,
        },
      })),
    );
  }
}

/**
 * The event with its position, as `JSON.stringify({ ...event, position })` writes it; from the
 * event's JSON when the registrar passes it (the store's copy), which saves serialising it twice.
 */
export function outcomeValue(event: Outcome['event'], position: number, eventJson?: string): string {
  const reusable = eventJson !== undefined && eventJson.length > 2 && eventJson.endsWith('}') && !('position' in event);
  return reusable ? `${eventJson.slice(0, -1)},"position":${JSON.stringify(position)}}` : JSON.stringify({ ...event, position });
}

export interface KafkaDeadLetterPublisherOptions {
  readonly topic: string;
  readonly source?: string;
  /** Stamps `at`; the registrar's clock. */
  readonly now?: () => Date;
}

/** Messages nobody can read (no scope, not JSON): kept with the reason, never dropped. */
export class KafkaDeadLetterPublisher extends OwnProducer implements DeadLetterPublisher {
  constructor(kafka: Kafka, private readonly options: KafkaDeadLetterPublisherOptions) {
    super(kafka);
  }

  deadLetter(records: readonly DeadLetter[]): Promise<void> {
    const at = (this.options.now ?? (() => new Date()))().toISOString();
    return this.sender.send(
      this.options.topic,
      records.map(({ reason, message }) => ({
        key: message.key?.slice(0, 1024) ?? null,
        value: JSON.stringify({ reason, original: original(message), at }),
        headers: {
          ce_specversion: CE_SPECVERSION,
          ce_id: deadLetterId(message),
          ce_type: 'DeadLetter',
          ce_source: this.options.source ?? 'ifreg-registrar',
          ce_time: at,
        },
      })),
    );
  }
}

/**
 * The most bytes of an original value a dead letter carries. Escaped as JSON (a control
 * character takes 6 bytes) or as base64 a record stays far below the broker's 1 MB limit;
 * a longer value is cut there, and its size and sha256 still identify it.
 */
export const DEAD_LETTER_ORIGINAL_BYTES = 16 * 1024;

/** The original as JSON: its value as text when it is UTF-8, else base64; with its size and sha256. */
function original({ key, value, headers, origin }: InboundMessage): Record<string, unknown> {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const kept = bytes.length > DEAD_LETTER_ORIGINAL_BYTES ? bytes.subarray(0, DEAD_LETTER_ORIGINAL_BYTES) : bytes;
  const text = isUtf8(kept) ? { value: kept.toString('utf8') } : { value: kept.toString('base64'), encoding: 'base64' };
  return {
    key: key === undefined ? null : key.slice(0, 1024),
    ...text,
    ...(kept === bytes ? {} : { truncated: true }),
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    headers: boundedHeaders(headers),
    origin,
  };
}

/** Headers come from the sender too: at most 32 of them, 1 KiB each, in a dead letter. */
function boundedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).slice(0, 32).map(([name, text]) => [name.slice(0, 256), text.slice(0, 1024)]));
}

/** Stable for a Kafka record, so a re-dead-lettered redelivery can be recognised. */
function deadLetterId({ origin }: InboundMessage): string {
  return origin.topic !== undefined && origin.offset !== undefined
    ? `${origin.topic}:${origin.partition ?? 0}:${origin.offset}:dead-letter`
    : randomUUID();
}
