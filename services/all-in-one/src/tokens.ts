import { CORE_TOKENS } from '@ifreg/composition';
import type { ServiceIdentifier } from 'inversify';
import type { HttpApp } from '@ifreg/http-api';
import type { InProcessTransport, ObjectBroker, OutcomeWaiter } from '@ifreg/messaging';
import type { ReadModelService } from '@ifreg/query';
import type { RegistrarService } from '@ifreg/registrar';
import type { AllInOneConfig } from './config';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`ifreg.${name}`);

/** Typed service identifiers of the all-in-one composition root. */
export const TOKENS = {
  ...CORE_TOKENS,
  Config: token<AllInOneConfig>('Config'),
  Transport: token<InProcessTransport>('Transport'),
  OutcomeWaiter: token<OutcomeWaiter>('OutcomeWaiter'),
  Registrar: token<RegistrarService>('Registrar'),
  ReadModel: token<ReadModelService>('ReadModel'),
  ObjectBroker: token<ObjectBroker>('ObjectBroker'),
  HttpApp: token<HttpApp>('HttpApp'),
} as const;
