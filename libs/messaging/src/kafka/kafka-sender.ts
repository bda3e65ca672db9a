import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';

/** kafkajs does no client-side batching and slows down badly past ~1k messages per send. */
export const MAX_MESSAGES_PER_SEND = 500;

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

  constructor(kafka: Kafka, private readonly chunkSize = MAX_MESSAGES_PER_SEND) {
    this.producer = kafka.producer({
      // kafkajs marks idempotence experimental (and there is an out-of-order report against
      // it): it only narrows duplicates from retries. Correctness comes from message ids and
      // expected revisions (DESIGN.md §2.4), never from this flag.
      idempotent: true,
      maxInFlightRequests: 1,
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
    for (let start = 0; start < messages.length; start += this.chunkSize) {
      await this.producer.send({ topic, acks: -1, messages: messages.slice(start, start + this.chunkSize) });
    }
  }
}
