import { ErrorType, type WrongExpectedVersionError } from '@eventstore/db-client';

// Checked by the error's `type` rather than `instanceof`, so an error from another copy of
// the client package (or a test double shaped like it) is recognised too.
const typeOf = (error: unknown): unknown => (typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined);

export const isWrongExpectedVersion = (error: unknown): error is WrongExpectedVersionError =>
  typeOf(error) === ErrorType.WRONG_EXPECTED_VERSION;

export const isStreamNotFound = (error: unknown): boolean => typeOf(error) === ErrorType.STREAM_NOT_FOUND;

const TRANSIENT: ReadonlySet<unknown> = new Set([ErrorType.UNAVAILABLE, ErrorType.DEADLINE_EXCEEDED, ErrorType.TIMEOUT, ErrorType.NOT_LEADER]);

/** Errors worth retrying after a pause: the server is restarting, unreachable or changed leader. */
export const isTransient = (error: unknown): boolean => TRANSIENT.has(typeOf(error));
