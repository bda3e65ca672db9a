import type { ServiceIdentifier } from 'inversify';
import type { Kafka } from 'kafkajs';
import type { EventStore, SnapshotStore } from '@ifreg/event-store';
import type { KafkaAgentConsumer, KafkaDeadLetterPublisher, KafkaOutcomePublisher } from '@ifreg/messaging';
import type { Lifecycle, Logger, Registry } from '@ifreg/platform';
import type { RegistrarService } from '@ifreg/registrar';
import type { RegistrarConfig } from './config';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`ifreg.registrar.${name}`);

export const TOKENS = {
  Config: token<RegistrarConfig>('Config'),
  Logger: token<Logger>('Logger'),
  Metrics: token<Registry>('Metrics'),
  Lifecycle: token<Lifecycle>('Lifecycle'),
  EventStore: token<EventStore>('EventStore'),
  Snapshots: token<SnapshotStore>('Snapshots'),
  Kafka: token<Kafka>('Kafka'),
  Consumer: token<KafkaAgentConsumer>('Consumer'),
  Outcomes: token<KafkaOutcomePublisher>('Outcomes'),
  DeadLetters: token<KafkaDeadLetterPublisher>('DeadLetters'),
  Registrar: token<RegistrarService>('Registrar'),
} as const;
