import type { NetIfInformationInput } from './interface-info';
import type { NetLuid } from './luid';
import type { ObjectStatus, Oid } from './objects';

/** Messages agents send (DESIGN.md §2.1). Already schema-checked when they reach `decide`. */
export interface InterfaceDetected {
  readonly type: 'InterfaceDetected';
  readonly messageId: string;
  readonly scope: string;
  readonly providerId: string;
  readonly luid: NetLuid;
  readonly providerIfContext?: string;
  readonly info: NetIfInformationInput;
  readonly detectedAt?: string;
}

export interface InterfaceRemoved {
  readonly type: 'InterfaceRemoved';
  readonly messageId: string;
  readonly scope: string;
  readonly providerId: string;
  readonly luid: NetLuid;
  readonly removedAt?: string;
}

export interface BootEpoch {
  readonly type: 'BootEpoch';
  readonly messageId: string;
  readonly scope: string;
  readonly bootId?: string;
  readonly at?: string;
}

/**
 * A message whose scope could be read but whose content could not be accepted (schema
 * violation found at the edge). It is recorded as RegistrationFailed INVALID_PARAMETER.
 */
export interface MessageRejected {
  readonly type: 'MessageRejected';
  readonly messageId: string;
  readonly scope: string;
  readonly messageType: string;
  readonly reason: string;
  readonly luid?: NetLuid;
}

/** NdisIfAllocateNetLuidIndex: a NetLuidIndex for `ifType` that no one else in the scope holds. */
export interface NetLuidIndexRequested {
  readonly type: 'NetLuidIndexRequested';
  readonly messageId: string;
  readonly scope: string;
  readonly providerId: string;
  readonly ifType: number;
}

/** NdisIfFreeNetLuidIndex: gives back an index allocated for that type. */
export interface NetLuidIndexFreeRequested {
  readonly type: 'NetLuidIndexFreeRequested';
  readonly messageId: string;
  readonly scope: string;
  readonly providerId: string;
  readonly luid: NetLuid;
}

/**
 * A caller asked (through the API) to set an interface object: recorded before the provider
 * is asked, so every attempt is on record. Its messageId is objectSetMessageIds(requestId).request.
 */
export interface ObjectSetRequested {
  readonly type: 'ObjectSetRequested';
  readonly messageId: string;
  readonly scope: string;
  readonly providerId: string;
  readonly luid: NetLuid;
  readonly ifIndex: number;
  readonly oid: Oid;
  readonly value: unknown;
  /** The caller's id of the set; a retry carries it again. */
  readonly requestId: string;
  /** Who asked, as far as the API knows: a token's identity or a remote address. */
  readonly caller: string;
}

/** The provider's answer to that set. Its messageId is objectSetMessageIds(requestId).answer. */
export interface ObjectSetAnswered extends Omit<ObjectSetRequested, 'type'> {
  readonly type: 'ObjectSetAnswered';
  readonly status: ObjectStatus;
  readonly reason?: string;
  /** The value the provider answered with, if any. */
  readonly answer?: unknown;
}

export type AgentMessage =
  | InterfaceDetected
  | InterfaceRemoved
  | BootEpoch
  | NetLuidIndexRequested
  | NetLuidIndexFreeRequested
  | ObjectSetRequested
  | ObjectSetAnswered;
export type RegistrarMessage = AgentMessage | MessageRejected;

/** A message plus the time the registrar received it: the domain's only clock. */
export interface Command {
  readonly message: RegistrarMessage;
  readonly receivedAt: string;
}
