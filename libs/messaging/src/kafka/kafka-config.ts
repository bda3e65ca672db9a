import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type RetryOptions, type SASLOptions } from 'kafkajs';
import type { Logger } from '@ifreg/platform';

export interface KafkaTopics {
  readonly agentMessages: string;
  readonly outcomes: string;
  readonly deadLetters: string;
  /** Registry → providers: OID queries and sets, key = scope. */
  readonly objectRequests: string;
  /** Providers → registry: their answers, to the asking replica's partition. */
  readonly objectReplies: string;
}

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topics: KafkaTopics;
  /** Partitions of topics we create; scopes are spread over them by key. */
  readonly partitions: number;
  /** Overrides of the client's retry policy (connections, metadata, requests). */
  readonly retry?: RetryOptions;
  /** TLS to the brokers: the CA, client certificate and key as PEM text, and whether to verify the brokers. */
  readonly tls?: KafkaTls;
  /** SASL authentication (over TLS or not). */
  readonly sasl?: KafkaSasl;
}

export interface KafkaTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Verify the broker's certificate chain and host name. Default true. */
  readonly rejectUnauthorized?: boolean;
}

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSasl {
  readonly mechanism: KafkaSaslMechanism;
  readonly username: string;
  readonly password: string;
}

/** The topic names of the external contract (DESIGN.md §2.9). */
export const defaultKafkaTopics: KafkaTopics = {
  agentMessages: 'ifreg.agent-messages',
  outcomes: 'ifreg.outcomes',
  deadLetters: 'ifreg.dead-letters',
  objectRequests: 'ifreg.object-requests',
  objectReplies: 'ifreg.object-replies',
};

/** Fills the defaults; only the brokers have none. */
export function kafkaSettings(given: Pick<KafkaSettings, 'brokers'> & Partial<Omit<KafkaSettings, 'topics'>> & { topics?: Partial<KafkaTopics> }): KafkaSettings {
  return {
    clientId: 'ifreg',
    partitions: 3,
    ...given,
    topics: { ...defaultKafkaTopics, ...given.topics },
  };
}

// Explicit, so behaviour does not change with NODE_ENV (kafkajs has other defaults under 'test').
// Short first waits suit a broker that is near; 30 s caps a broker restart.
const defaultRetry: RetryOptions = { initialRetryTime: 200, maxRetryTime: 30_000, retries: 8, factor: 0.2, multiplier: 2 };

/** One kafkajs client per process; producers, consumers and admins are made from it. */
export function createKafka(settings: KafkaSettings, log: Logger): Kafka {
  return new Kafka({ ...kafkaClientOptions(settings, log), logCreator: () => (entry) => writeKafkaLogEntry(log, entry) });
}

/** The client options but the log creator: plain data, so a worker thread can be given them. */
export function kafkaClientOptions(settings: KafkaSettings, log: Logger): Omit<KafkaConfig, 'logCreator'> {
  return {
    brokers: [...settings.brokers],
    clientId: settings.clientId,
    connectionTimeout: 3000,
    retry: { ...defaultRetry, ...settings.retry },
    ...kafkaSecurityOptions(settings),
    // Ask kafkajs only for what our logger would write anyway.
    logLevel: kafkaLevelFor(log),
  };
}

/** The kafkajs `ssl` and `sasl` options of the settings; nothing when neither is set. */
export function kafkaSecurityOptions(settings: Pick<KafkaSettings, 'tls' | 'sasl'>): { ssl?: ConnectionOptions; sasl?: SASLOptions } {
  const { tls, sasl } = settings;
  return {
    ...(tls
      ? {
          ssl: {
            rejectUnauthorized: tls.rejectUnauthorized ?? true,
            ...(tls.ca === undefined ? {} : { ca: [tls.ca] }),
            ...(tls.cert === undefined ? {} : { cert: tls.cert }),
            ...(tls.key === undefined ? {} : { key: tls.key }),
          },
        }
      : {}),
    ...(sasl ? { sasl: saslOptions(sasl) } : {}),
  };
}

// kafkajs types each mechanism apart; the three take the same fields.
function saslOptions({ mechanism, username, password }: KafkaSasl): SASLOptions {
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
  }
}

function kafkaLevelFor(log: Logger): logLevel {
  if (log.isLevelEnabled('debug')) return logLevel.DEBUG;
  if (log.isLevelEnabled('info')) return logLevel.INFO;
  if (log.isLevelEnabled('warn')) return logLevel.WARN;
  if (log.isLevelEnabled('error')) return logLevel.ERROR;
  return logLevel.NOTHING;
}

/**
 * Warnings we cause on purpose, written at debug so they do not alarm an operator:
 * retries are bounded so a send fails instead of hanging, and we do not rely on kafkajs's
 * idempotence for exactly-once (see KafkaSender).
 */
const expectedWarnings = new Set(['Limiting retries for the idempotent producer may invalidate EoS guarantees']);

export function writeKafkaLogEntry(log: Logger, { namespace, level, log: content }: LogEntry): void {
  const { message, timestamp: _timestamp, logger: _logger, ...fields } = content;
  const line = { kafkajs: namespace, ...fields };
  switch (expectedWarnings.has(message) ? logLevel.DEBUG : level) {
    case logLevel.ERROR:
      log.error(line, message);
      break;
    case logLevel.WARN:
      log.warn(line, message);
      break;
    case logLevel.INFO:
      log.info(line, message);
      break;
    default:
      log.debug(line, message);
  }
}
