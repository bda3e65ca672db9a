import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { InboundMessage } from '@ifreg/ports';

/** A Kafka record as the port hands it on: raw bytes, string headers, where it came from. */
export function toInbound(topic: string, partition: number, message: KafkaMessage): InboundMessage {
  return {
    key: message.key?.toString('utf8'),
    // A null value (tombstone) still goes to the handler, which dead-letters it: never a silent drop.
    value: message.value ?? Buffer.alloc(0),
    headers: stringHeaders(message.headers),
    origin: { transport: 'kafka', topic, partition, offset: message.offset },
  };
}

/** Repeated headers keep the last value, as Java's `Headers.lastHeader` does. */
export function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    const value = headerText(headers, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** One header as text, the last value when it is repeated (as stringHeaders reads it). */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  return value?.toString();
}
