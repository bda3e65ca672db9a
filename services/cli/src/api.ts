import type { FailureView, InterfaceView, LuidIndexView, RegistryEvent } from '@ifreg/domain';

/** The answers of the HTTP API the CLI reads (DESIGN.md §2.9, README "HTTP API"). */
export interface ScopesAnswer {
  readonly position: number;
  readonly items: readonly { readonly scope: string; readonly epoch: number; readonly interfaceCount: number; readonly lastChange: number; readonly lastChangeAt?: string }[];
}

export type InterfaceItem = Omit<InterfaceView, 'registeredPosition'> & { readonly registeredPosition?: number };

export interface InterfacesAnswer {
  readonly scope: string;
  readonly epoch: number;
  readonly position: number;
  readonly items: readonly InterfaceItem[];
  readonly next?: number;
}

export type InterfaceAnswer = InterfaceItem & { readonly scope: string; readonly position: number };

export interface FailuresAnswer {
  readonly scope: string;
  readonly epoch: number;
  readonly position: number;
  readonly items: readonly FailureView[];
}

export interface LuidIndexesAnswer {
  readonly scope: string;
  readonly position: number;
  readonly items: readonly LuidIndexView[];
}

export interface LuidForms {
  readonly ifType: number;
  readonly netLuidIndex: number;
  readonly value: string;
  readonly name: string;
}

export interface ConversionAnswer {
  readonly ifIndex: number;
  readonly luid: LuidForms;
  readonly position: number;
}

/** POST /v1/messages?wait=true: the event recorded for the message, with its store position. */
export type OutcomeAnswer = RegistryEvent & { readonly position: number };

/** GET/POST /v1/admin/rebuild: the query service's own type. */
export type { RebuildStatus } from '@ifreg/query';

/** One event of GET /v1/watch. */
export interface Change {
  readonly position: number;
  readonly scope: string;
  readonly kind: 'registered' | 'deregistered' | 'failed' | 'reset';
  readonly data: Record<string, unknown>;
}
