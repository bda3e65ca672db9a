import type { Kafka } from 'kafkajs';
import { decodeObjectRequest, type ObjectReply, type ObjectRequest } from '@ifreg/contracts';
import type { Logger } from '@ifreg/platform';
import { KafkaSender } from './kafka-sender';
import { KafkaPartitionReader } from './partition-reader';

export interface KafkaProviderChannelOptions {
  readonly requestsTopic: string;
  readonly scope: string;
  readonly log: Logger;
  /** Read through this reader (shared with the scope's outcomes) instead of one of its own. */
  readonly reader?: KafkaPartitionReader;
  readonly maxWaitTimeMs?: number;
}

/**
 * Object requests over Kafka, provider side: the one partition of `ifreg.object-requests` its
 * scope maps to, and each reply produced to the partition the request names.
 */
export class KafkaProviderChannel {
  readonly reader: KafkaPartitionReader;
  private readonly sender: KafkaSender;
  private off: (() => void) | undefined;

  constructor(kafka: Kafka, private readonly options: KafkaProviderChannelOptions) {
    this.reader =
      options.reader ??
      new KafkaPartitionReader(kafka, {
        topics: [options.requestsTopic],
        keys: [options.scope],
        log: options.log,
        groupIdPrefix: `ifreg-provider-${options.scope}`,
        maxWaitTimeMs: options.maxWaitTimeMs ?? 500,
      });
    this.sender = new KafkaSender(kafka, undefined, false);
  }

  async open(handle: (request: ObjectRequest) => void): Promise<void> {
    this.off = this.reader.on(this.options.requestsTopic, (message) => {
      const decoded = decodeObjectRequest(message.value);
      if (!decoded.ok) {
        this.options.log.warn({ offset: message.offset, reason: decoded.reason }, 'skipping unreadable object request');
        return;
      }
      if (decoded.value.scope === this.options.scope) handle(decoded.value);
    });
    await this.sender.connect();
    await this.reader.start();
  }

  async reply(request: ObjectRequest, reply: ObjectReply): Promise<void> {
    const to = request.replyTo;
    if (!to) throw new Error(`object request ${request.requestId} came over Kafka without replyTo`);
    await this.sender.send(to.topic, [{ partition: to.partition, key: to.replica, value: JSON.stringify({ ...reply, replica: to.replica }) }]);
  }

  async close(): Promise<void> {
    this.off?.();
    await this.reader.stop();
    await this.sender.disconnect();
  }
}
