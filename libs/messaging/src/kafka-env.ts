import { z } from 'zod';
import { defaultKafkaTopics, kafkaSettings, type KafkaSettings } from './kafka/kafka-config';

const topic = (fallback: string) => z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name').default(fallback);

/** The Kafka settings every Kafka-using service reads from its environment. */
export const kafkaEnvSchema = z.object({
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
    .refine((list) => list.length > 0 && list.every((b) => /^[^:\s]+:\d{1,5}$/.test(b)), 'must be host:port[,host:port…]'),
  IFREG_KAFKA_CLIENT_ID: z.string().min(1).optional(),
  IFREG_KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
  IFREG_TOPIC_AGENT_MESSAGES: topic(defaultKafkaTopics.agentMessages),
  IFREG_TOPIC_OUTCOMES: topic(defaultKafkaTopics.outcomes),
  IFREG_TOPIC_DEAD_LETTERS: topic(defaultKafkaTopics.deadLetters),
});

export function kafkaSettingsFromEnv(env: z.infer<typeof kafkaEnvSchema>, defaultClientId: string): KafkaSettings {
  return kafkaSettings({
    brokers: env.KAFKA_BROKERS,
    clientId: env.IFREG_KAFKA_CLIENT_ID ?? defaultClientId,
    partitions: env.IFREG_KAFKA_PARTITIONS,
    topics: {
      agentMessages: env.IFREG_TOPIC_AGENT_MESSAGES,
      outcomes: env.IFREG_TOPIC_OUTCOMES,
      deadLetters: env.IFREG_TOPIC_DEAD_LETTERS,
    },
  });
}
