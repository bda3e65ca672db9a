import type { Kafka } from 'kafkajs';
import { traceCarrierOf } from '@ifreg/platform';
import type { AgentMessageProducer, OutboundMessage } from '@ifreg/ports';
import { agentMessageHeaders } from './cloud-events';
import { KafkaSender } from './kafka-sender';

export interface KafkaAgentProducerOptions {
  /** The agent-messages topic. */
  readonly topic: string;
  /** `ce_source` for messages without a providerId (a BootEpoch has none). */
  readonly defaultSource?: string;
  readonly chunkSize?: number;
}

/** Agents → registrar: key = scope, value = the message JSON, CloudEvents headers (and W3C traceparent while tracing). */
export class KafkaAgentProducer implements AgentMessageProducer {
  private readonly sender: KafkaSender;

  constructor(kafka: Kafka, private readonly options: KafkaAgentProducerOptions) {
    this.sender = new KafkaSender(kafka, options.chunkSize);
  }

  connect(): Promise<void> {
    return this.sender.connect();
  }

  disconnect(): Promise<void> {
    return this.sender.disconnect();
  }

  send(messages: readonly OutboundMessage[]): Promise<void> {
    const source = this.options.defaultSource ?? 'ifreg-agent';
    // The sender's trace (an agent's send span, an HTTP request's span) goes on as traceparent.
    const trace = traceCarrierOf();
    return this.sender.send(
      this.options.topic,
      messages.map((m) => ({ key: m.key, value: m.value, headers: { ...trace, ...agentMessageHeaders(m, source) } })),
    );
  }
}
