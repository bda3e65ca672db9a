import type { ServiceIdentifier } from 'inversify';
import type { EventStore, SnapshotStore } from '@ifreg/event-store';
import type { HttpApp } from '@ifreg/http-api';
import type { KafkaAgentProducer, KafkaObjectRoute, ObjectBroker } from '@ifreg/messaging';
import type { Lifecycle, Logger, Registry } from '@ifreg/platform';
import type { ReadModelService, RebuildTracker } from '@ifreg/query';
import type { QueryConfig } from './config';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`ifreg.query.${name}`);

export const TOKENS = {
  Config: token<QueryConfig>('Config'),
  Logger: token<Logger>('Logger'),
  Metrics: token<Registry>('Metrics'),
  Lifecycle: token<Lifecycle>('Lifecycle'),
  EventStore: token<EventStore>('EventStore'),
  Snapshots: token<SnapshotStore>('Snapshots'),
  ReadModel: token<ReadModelService>('ReadModel'),
  Rebuild: token<RebuildTracker>('Rebuild'),
  ObjectBroker: token<ObjectBroker>('ObjectBroker'),
  ObjectRoute: token<KafkaObjectRoute | undefined>('ObjectRoute'),
  SetRecords: token<KafkaAgentProducer | undefined>('SetRecords'),
  HttpApp: token<HttpApp>('HttpApp'),
} as const;
