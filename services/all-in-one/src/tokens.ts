import type { ServiceIdentifier } from 'inversify';
import type { EventStore, SnapshotStore } from '@ifreg/event-store';
import type { HttpApp } from '@ifreg/http-api';
import type { InProcessTransport, ObjectBroker, OutcomeWaiter } from '@ifreg/messaging';
import type { Lifecycle, Logger, Registry } from '@ifreg/platform';
import type { ReadModelService } from '@ifreg/query';
import type { RegistrarService } from '@ifreg/registrar';
import type { AllInOneConfig } from './config';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`ifreg.${name}`);

/** Typed service identifiers of the all-in-one composition root. */
export const TOKENS = {
  Config: token<AllInOneConfig>('Config'),
  Logger: token<Logger>('Logger'),
  Metrics: token<Registry>('Metrics'),
  Lifecycle: token<Lifecycle>('Lifecycle'),
  EventStore: token<EventStore>('EventStore'),
  Snapshots: token<SnapshotStore>('Snapshots'),
  Transport: token<InProcessTransport>('Transport'),
  OutcomeWaiter: token<OutcomeWaiter>('OutcomeWaiter'),
  Registrar: token<RegistrarService>('Registrar'),
  ReadModel: token<ReadModelService>('ReadModel'),
  ObjectBroker: token<ObjectBroker>('ObjectBroker'),
  HttpApp: token<HttpApp>('HttpApp'),
} as const;
