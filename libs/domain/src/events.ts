import type { NetIfInformation } from './interface-info';
import type { NetLuid } from './luid';
import type { ObjectStatus, Oid } from './objects';

/** Events recorded in stream `registry-<scope>` (DESIGN.md §2.2). */
export interface BootEpochStarted {
  readonly type: 'BootEpochStarted';
  readonly scope: string;
  readonly epoch: number;
  readonly bootId?: string;
  readonly causationId: string;
  readonly at: string;
}

export interface InterfaceRegistered {
  readonly type: 'InterfaceRegistered';
  readonly scope: string;
  readonly epoch: number;
  readonly ifIndex: number;
  readonly luid: NetLuid;
  readonly providerId: string;
  readonly providerIfContext: string;
  readonly info: NetIfInformation;
  readonly detectedAt?: string;
  readonly causationId: string;
  readonly at: string;
}

export const FAILURE_STATUSES = ['RESOURCES', 'INVALID_PARAMETER', 'INTERFACE_EXISTS', 'INTERFACE_NOT_FOUND'] as const;
export type FailureStatus = (typeof FAILURE_STATUSES)[number];

export interface RegistrationFailed {
  readonly type: 'RegistrationFailed';
  readonly scope: string;
  readonly epoch: number;
  /** The message type that failed: a detection, a removal, or an unreadable message. */
  readonly messageType: string;
  readonly luid?: NetLuid;
  readonly status: FailureStatus;
  readonly reason: string;
  readonly causationId: string;
  readonly at: string;
}

export interface InterfaceDeregistered {
  readonly type: 'InterfaceDeregistered';
  readonly scope: string;
  readonly epoch: number;
  readonly ifIndex: number;
  readonly luid: NetLuid;
  readonly providerId: string;
  /** The agent's time of the removal, when it gave one (like InterfaceRegistered's detectedAt). */
  readonly removedAt?: string;
  readonly causationId: string;
  readonly at: string;
}

/**
 * A registered interface was detected again with identical information (an agent that
 * restarted). Nothing changes, but the message is recorded: a replay of it after a later
 * removal must be recognised as done, not register the interface again.
 */
export interface InterfaceRedetected {
  readonly type: 'InterfaceRedetected';
  readonly scope: string;
  readonly epoch: number;
  readonly ifIndex: number;
  readonly luid: NetLuid;
  readonly providerId: string;
  readonly causationId: string;
  readonly at: string;
}

/** A NetLuidIndex allocated to a provider; unlike interface indexes it survives BootEpochs. */
export interface NetLuidIndexAllocated {
  readonly type: 'NetLuidIndexAllocated';
  readonly scope: string;
  readonly epoch: number;
  readonly luid: NetLuid;
  readonly providerId: string;
  readonly causationId: string;
  readonly at: string;
}

export interface NetLuidIndexFreed {
  readonly type: 'NetLuidIndexFreed';
  readonly scope: string;
  readonly epoch: number;
  readonly luid: NetLuid;
  readonly providerId: string;
  readonly causationId: string;
  readonly at: string;
}

/** A set of an interface object was asked for (DESIGN §2.10): who, what, with which request id. */
export interface InterfaceObjectSetRequested {
  readonly type: 'InterfaceObjectSetRequested';
  readonly scope: string;
  readonly epoch: number;
  readonly ifIndex: number;
  readonly luid: NetLuid;
  readonly providerId: string;
  readonly oid: Oid;
  readonly value: unknown;
  readonly requestId: string;
  readonly caller: string;
  readonly causationId: string;
  readonly at: string;
}

/** The provider answered that set: the request again, with its NDIS-style status. */
export interface InterfaceObjectSetAnswered extends Omit<InterfaceObjectSetRequested, 'type'> {
  readonly type: 'InterfaceObjectSetAnswered';
  readonly status: ObjectStatus;
  readonly reason?: string;
  readonly answer?: unknown;
}

export type RegistryEvent =
  | BootEpochStarted
  | InterfaceRegistered
  | RegistrationFailed
  | InterfaceDeregistered
  | InterfaceRedetected
  | NetLuidIndexAllocated
  | NetLuidIndexFreed
  | InterfaceObjectSetRequested
  | InterfaceObjectSetAnswered;
export const REGISTRY_EVENT_TYPES: readonly RegistryEvent['type'][] = [
  'BootEpochStarted',
  'InterfaceRegistered',
  'RegistrationFailed',
  'InterfaceDeregistered',
  'InterfaceRedetected',
  'NetLuidIndexAllocated',
  'NetLuidIndexFreed',
  'InterfaceObjectSetRequested',
  'InterfaceObjectSetAnswered',
];
