import type { NetLuid, ObjectStatus, Oid } from '@ifreg/domain';

/** One OID query about one of the provider's interfaces: ProviderQueryObject's arguments. */
export interface ObjectQuery {
  readonly scope: string;
  readonly ifIndex: number;
  readonly luid: NetLuid;
  /** The context the provider gave when it registered the interface, handed back. */
  readonly providerIfContext: string;
  readonly oid: Oid;
  /** Correlation id of this request. */
  readonly requestId: string;
}

/** One OID set: ProviderSetObject's arguments. */
export interface ObjectSet extends ObjectQuery {
  readonly value: unknown;
  /** The caller's id of the set: a retry carries the same one (the server answers it once). */
  readonly setRequestId: string;
  readonly caller?: string;
}

/** The provider's answer: an NDIS-style status, the value (queries), a reason (failures). */
export interface ObjectAnswer {
  readonly status: ObjectStatus;
  readonly value?: unknown;
  readonly reason?: string;
}

export type ProviderQueryObject = (query: ObjectQuery) => Promise<ObjectAnswer> | ObjectAnswer;
export type ProviderSetObject = (set: ObjectSet) => Promise<ObjectAnswer> | ObjectAnswer;

/** NDIS's ProviderQueryObject / ProviderSetObject pair; without `setObject` every set answers NOT_SUPPORTED. */
export interface ObjectHandlers {
  readonly queryObject: ProviderQueryObject;
  readonly setObject?: ProviderSetObject;
}
