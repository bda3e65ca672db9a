import { CORE_TOKENS } from '@ifreg/composition';
import type { ServiceIdentifier } from 'inversify';
import type { Kafka } from 'kafkajs';
import type { KafkaAgentConsumer, KafkaDeadLetterPublisher, KafkaOutcomePublisher } from '@ifreg/messaging';
import type { RegistrarService } from '@ifreg/registrar';
import type { RegistrarConfig } from './config';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`ifreg.registrar.${name}`);

export const TOKENS = {
  ...CORE_TOKENS,
  Config: token<RegistrarConfig>('Config'),
  Kafka: token<Kafka>('Kafka'),
  Consumer: token<KafkaAgentConsumer>('Consumer'),
  Outcomes: token<KafkaOutcomePublisher>('Outcomes'),
  DeadLetters: token<KafkaDeadLetterPublisher>('DeadLetters'),
  Registrar: token<RegistrarService>('Registrar'),
} as const;
