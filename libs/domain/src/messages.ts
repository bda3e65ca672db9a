import type { NetIfInformationInput } from './interface-info';
import type { NetLuid } from './luid';

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

export type AgentMessage = InterfaceDetected | InterfaceRemoved | BootEpoch | NetLuidIndexRequested | NetLuidIndexFreeRequested;
export type RegistrarMessage = AgentMessage | MessageRejected;

/** A message plus the time the registrar received it: the domain's only clock. */
export interface Command {
  readonly message: RegistrarMessage;
  readonly receivedAt: string;
}
