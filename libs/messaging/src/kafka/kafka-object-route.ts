import type { Kafka, KafkaMessage } from 'kafkajs';
import { decodeObjectReply, decodeObjectRequest, type ObjectReply, type ObjectRequest } from '@ifreg/contracts';
import type { Logger } from '@ifreg/platform';
import type { ObjectBroker, RemoteProviders } from '../objects/object-broker';
import { KafkaSender } from './kafka-sender';
import { KafkaPartitionReader } from './partition-reader';
import { partitionOf } from './partitions';

export interface KafkaObjectRouteOptions {
  readonly requestsTopic: string;
  readonly repliesTopic: string;
  /** This replica's id (random per process): it picks the replies partition it reads. */
  readonly replica: string;
  readonly log: Logger;
  readonly maxWaitTimeMs?: number;
  /**
   * Also serve providers attached here to requests of other replicas: read every partition of
   * the requests topic (a replica that holds HTTP providers of any scope). Default true.
   */
  readonly relay?: boolean;
}

/**
 * Object requests over Kafka, registry side. A request goes to `ifreg.object-requests` keyed by
 * scope, so only the partition of its scope carries it: a Kafka agent reads that partition
 * alone. It names where to answer (this replica's partition of `ifreg.object-replies`); this
 * replica reads that one partition and skips the replies of others that share it.
 *
 * As relay it reads all of the requests topic and hands a request to a provider attached here
 * (over HTTP), then produces the reply to the asker's partition: a request that entered one
 * replica reaches a provider connected to another.
 */
export class KafkaObjectRoute implements RemoteProviders {
  private readonly replies: KafkaPartitionReader;
  private readonly requests: KafkaPartitionReader | undefined;
  private readonly sender: KafkaSender;
  private partition = -1;
  /** Replies on our partition that were another replica's. */
  foreign = 0;

  constructor(kafka: Kafka, private readonly broker: ObjectBroker, private readonly options: KafkaObjectRouteOptions) {
    const common = { log: options.log, groupIdPrefix: `ifreg-objects-${options.replica}`, maxWaitTimeMs: options.maxWaitTimeMs ?? 500 };
    this.replies = new KafkaPartitionReader(kafka, { ...common, topics: [options.repliesTopic], keys: [options.replica] });
    this.replies.on(options.repliesTopic, (message) => this.onReply(message));
    if (options.relay ?? true) {
      this.requests = new KafkaPartitionReader(kafka, { ...common, topics: [options.requestsTopic] });
      this.requests.on(options.requestsTopic, (message) => this.onRequest(message));
    }
    this.sender = new KafkaSender(kafka, undefined, false);
  }

  async start(): Promise<void> {
    await this.sender.connect();
    await this.replies.start();
    this.partition = this.replies.assignment[this.options.repliesTopic]?.[0] ?? 0;
    await this.requests?.start();
    this.broker.useRemote(this);
  }

  async stop(): Promise<void> {
    this.broker.useRemote(undefined);
    await this.requests?.stop();
    await this.replies.stop();
    await this.sender.disconnect();
  }

  send(request: ObjectRequest): Promise<void> {
    const replyTo = { topic: this.options.repliesTopic, partition: this.partition, replica: this.options.replica };
    return this.sender.send(this.options.requestsTopic, [{ key: request.scope, value: JSON.stringify({ ...request, replyTo }) }]);
  }

  private onReply(message: KafkaMessage): void {
    const decoded = decodeObjectReply(message.value);
    if (!decoded.ok) {
      this.options.log.warn({ topic: this.options.repliesTopic, offset: message.offset, reason: decoded.reason }, 'skipping unreadable object reply');
      return;
    }
    if (decoded.value.replica !== this.options.replica) {
      this.foreign++;
      return;
    }
    this.broker.reply(decoded.value, 'kafka');
  }

  private onRequest(message: KafkaMessage): void {
    const decoded = decodeObjectRequest(message.value);
    if (!decoded.ok) {
      this.options.log.debug({ offset: message.offset, reason: decoded.reason }, 'skipping unreadable object request');
      return;
    }
    const request = decoded.value;
    const { replyTo } = request;
    if (!replyTo || replyTo.replica === this.options.replica) return;
    const answer = this.broker.forward(request);
    if (!answer) return;
    answer.then(
      (reply: ObjectReply) => this.sender.send(replyTo.topic, [{ partition: replyTo.partition, key: replyTo.replica, value: JSON.stringify({ ...reply, replica: replyTo.replica }) }]),
      () => undefined, // the asker times out by itself
    ).catch((error: unknown) => this.options.log.warn({ err: error, requestId: request.requestId }, 'could not relay an object reply'));
  }
}

/** Where replies for `replica` land: exported for tests and the measurement. */
export const replyPartitionOf = (replica: string, partitions: number): number => partitionOf(replica, partitions);
