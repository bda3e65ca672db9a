import { CORE_TOKENS } from '@ifreg/composition';
import type { ServiceIdentifier } from 'inversify';
import type { HttpApp } from '@ifreg/http-api';
import type { KafkaAgentProducer, KafkaObjectRoute, ObjectBroker } from '@ifreg/messaging';
import type { ReadModelService, RebuildTracker } from '@ifreg/query';
import type { QueryConfig } from './config';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`ifreg.query.${name}`);

export const TOKENS = {
  ...CORE_TOKENS,
  Config: token<QueryConfig>('Config'),
  ReadModel: token<ReadModelService>('ReadModel'),
  Rebuild: token<RebuildTracker>('Rebuild'),
  ObjectBroker: token<ObjectBroker>('ObjectBroker'),
  ObjectRoute: token<KafkaObjectRoute | undefined>('ObjectRoute'),
  SetRecords: token<KafkaAgentProducer | undefined>('SetRecords'),
  HttpApp: token<HttpApp>('HttpApp'),
} as const;
