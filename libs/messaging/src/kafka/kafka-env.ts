import { z } from 'zod';
import { ConfigError, env, readableFile, secretSetting } from '@ifreg/platform';
import { defaultKafkaTopics, kafkaSettings, type KafkaSasl, type KafkaSettings, type KafkaTls } from './kafka-config';

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
  IFREG_TOPIC_OBJECT_REQUESTS: topic(defaultKafkaTopics.objectRequests),
  IFREG_TOPIC_OBJECT_REPLIES: topic(defaultKafkaTopics.objectReplies),
  // TLS and SASL (docs/security.md). Files are read at start-up; secrets may come from *_FILE.
  IFREG_KAFKA_TLS: env.bool(false),
  IFREG_KAFKA_TLS_CA_FILE: env.file(),
  IFREG_KAFKA_TLS_CERT_FILE: env.file(),
  IFREG_KAFKA_TLS_KEY_FILE: env.file(),
  IFREG_KAFKA_TLS_REJECT_UNAUTHORIZED: env.bool(true),
  IFREG_KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  IFREG_KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  IFREG_KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  IFREG_KAFKA_SASL_PASSWORD_FILE: env.file(),
});

type KafkaEnv = z.infer<typeof kafkaEnvSchema>;

/** TLS settings, or a ConfigError naming what is missing or unreadable. */
function kafkaTls(c: KafkaEnv): KafkaTls | undefined {
  const files = { IFREG_KAFKA_TLS_CA_FILE: c.IFREG_KAFKA_TLS_CA_FILE, IFREG_KAFKA_TLS_CERT_FILE: c.IFREG_KAFKA_TLS_CERT_FILE, IFREG_KAFKA_TLS_KEY_FILE: c.IFREG_KAFKA_TLS_KEY_FILE };
  if (!c.IFREG_KAFKA_TLS) {
    const given = Object.entries(files).filter(([, file]) => file !== undefined).map(([name]) => name);
    if (given.length > 0) throw new ConfigError(given.map((name) => `${name}: set IFREG_KAFKA_TLS=true to use it`));
    return undefined;
  }
  if ((c.IFREG_KAFKA_TLS_CERT_FILE === undefined) !== (c.IFREG_KAFKA_TLS_KEY_FILE === undefined)) {
    throw new ConfigError(['IFREG_KAFKA_TLS_CERT_FILE, IFREG_KAFKA_TLS_KEY_FILE: a client certificate needs its key and the key its certificate']);
  }
  const read = (name: keyof typeof files) => (files[name] === undefined ? undefined : readableFile(name, files[name]));
  const [ca, cert, key] = [read('IFREG_KAFKA_TLS_CA_FILE'), read('IFREG_KAFKA_TLS_CERT_FILE'), read('IFREG_KAFKA_TLS_KEY_FILE')];
  return {
    rejectUnauthorized: c.IFREG_KAFKA_TLS_REJECT_UNAUTHORIZED,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

/** SASL settings, or a ConfigError naming what is missing. */
function kafkaSasl(c: KafkaEnv): KafkaSasl | undefined {
  const password = secretSetting('IFREG_KAFKA_SASL_PASSWORD', c.IFREG_KAFKA_SASL_PASSWORD, c.IFREG_KAFKA_SASL_PASSWORD_FILE);
  const mechanism = c.IFREG_KAFKA_SASL_MECHANISM;
  if (mechanism === undefined) {
    const given = [c.IFREG_KAFKA_SASL_USERNAME === undefined ? [] : ['IFREG_KAFKA_SASL_USERNAME'], password === undefined ? [] : ['IFREG_KAFKA_SASL_PASSWORD']].flat();
    if (given.length > 0) throw new ConfigError(given.map((name) => `${name}: set IFREG_KAFKA_SASL_MECHANISM (plain, scram-sha-256 or scram-sha-512) to use it`));
    return undefined;
  }
  const missing = [c.IFREG_KAFKA_SASL_USERNAME === undefined ? ['IFREG_KAFKA_SASL_USERNAME'] : [], password === undefined ? ['IFREG_KAFKA_SASL_PASSWORD (or IFREG_KAFKA_SASL_PASSWORD_FILE)'] : []].flat();
  if (c.IFREG_KAFKA_SASL_USERNAME === undefined || password === undefined) {
    throw new ConfigError(missing.map((name) => `${name}: required when IFREG_KAFKA_SASL_MECHANISM=${mechanism}`));
  }
  return { mechanism, username: c.IFREG_KAFKA_SASL_USERNAME, password };
}

/** The Kafka settings of a service; incomplete TLS or SASL settings throw a ConfigError naming the variables. */
export function kafkaSettingsFromEnv(c: KafkaEnv, defaultClientId: string): KafkaSettings {
  const problems: string[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const tls = attempt(() => kafkaTls(c));
  const sasl = attempt(() => kafkaSasl(c));
  if (problems.length > 0) throw new ConfigError(problems);
  return kafkaSettings({
    brokers: c.KAFKA_BROKERS,
    clientId: c.IFREG_KAFKA_CLIENT_ID ?? defaultClientId,
    partitions: c.IFREG_KAFKA_PARTITIONS,
    topics: {
      agentMessages: c.IFREG_TOPIC_AGENT_MESSAGES,
      outcomes: c.IFREG_TOPIC_OUTCOMES,
      deadLetters: c.IFREG_TOPIC_DEAD_LETTERS,
      objectRequests: c.IFREG_TOPIC_OBJECT_REQUESTS,
      objectReplies: c.IFREG_TOPIC_OBJECT_REPLIES,
    },
    ...(tls ? { tls } : {}),
    ...(sasl ? { sasl } : {}),
  });
}
