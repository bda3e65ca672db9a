import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';

/** kafkajs does no client-side batching and slows down badly past ~1k messages per send. */
export const MAX_MESSAGES_PER_SEND = 500;
/**
 * Bytes of keys, values and headers per send: half the broker's default message.max.bytes
 * (1 MB per record batch), which a send to one partition must fit in. kafkajs does not retry
 * a MESSAGE_TOO_LARGE; 500 dead letters of escaped control characters once made one.
 */
export const MAX_BYTES_PER_SEND = 512 * 1024;

const sizeOf = (data: Message['key'] | Message['value']): number =>
  data === null || data === undefined ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.length;

function messageBytes({ key, value, headers }: Message): number {
  let bytes = sizeOf(key) + sizeOf(value);
  for (const [name, header] of Object.entries(headers ?? {})) bytes += Buffer.byteLength(name) + (typeof header === 'string' || Buffer.isBuffer(header) ? sizeOf(header) : 0);
  return bytes;
}

/** Consecutive runs of at most `maxCount` messages and `maxBytes` bytes (a bigger message alone). */
export function sendChunks(messages: readonly Message[], maxCount = MAX_MESSAGES_PER_SEND, maxBytes = MAX_BYTES_PER_SEND): Message[][] {
  const chunks: Message[][] = [];
  let chunk: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    if (chunk.length > 0 && (chunk.length >= maxCount || bytes + size > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** What the publishers send with: a producer here (KafkaSender) or in a worker thread (ThreadSender). */
export interface Sender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  send(topic: string, messages: readonly Message[]): Promise<void>;
}

/**
 * One kafkajs producer, sending in bounded chunks and in order. Everything we publish is
 * keyed by scope and deduplicated downstream by message or causation id, so a retried send
 * that duplicates records is harmless.
 */
export class KafkaSender implements Sender {
  private readonly producer: Producer;

  /**
   * `ordered: false` (object requests and replies: each stands alone, waited for by a caller)
   * lets sends overlap: one request in flight at a time queued every reply behind the others.
   */
  constructor(kafka: Kafka, private readonly chunkSize = MAX_MESSAGES_PER_SEND, ordered = true) {
    this.producer = kafka.producer({
      // kafkajs marks idempotence experimental (and there is an out-of-order report against
      // it): it only narrows duplicates from retries. Correctness comes from message ids and
      // expected revisions (DESIGN.md §2.4), never from this flag.
      idempotent: ordered,
      ...(ordered ? { maxInFlightRequests: 1 } : {}),
      // Topics are created explicitly (ensureTopics); a typo must fail, not make a topic.
      allowAutoTopicCreation: false,
      // Java-compatible murmur2 on the key, so other clients put a scope on the same partition.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  /** Resolves once every chunk is acknowledged by all in-sync replicas (acks = -1). */
  async send(topic: string, messages: readonly Message[]): Promise<void> {
    for (const chunk of sendChunks(messages, this.chunkSize)) await this.producer.send({ topic, acks: -1, messages: chunk });
  }
}
