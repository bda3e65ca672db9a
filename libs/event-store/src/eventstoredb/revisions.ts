import {
  ANY as CLIENT_ANY, NO_STREAM as CLIENT_NO_STREAM,
  type AppendExpectedRevision, type CurrentRevision, type WrongExpectedVersionError,
} from '@eventstore/db-client';
import { ANY, ConcurrencyError, NO_STREAM, type ExpectedRevision } from '@ifreg/ports';

/** Our expected revision (last event's revision, -1 for no stream, 'any') as the client states it. */
export function toClientRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === ANY) return CLIENT_ANY;
  if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < NO_STREAM) {
    throw new RangeError(`expected revision must be an integer >= ${NO_STREAM} or 'any', got ${String(expected)}`);
  }
  return expected === NO_STREAM ? CLIENT_NO_STREAM : BigInt(expected);
}

/** The client's idea of a stream's current revision, as ours (-1 when the stream does not exist). */
export function fromCurrentRevision(current: CurrentRevision): number {
  if (current === CLIENT_NO_STREAM) return NO_STREAM;
  if (current > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`revision ${current} is beyond what this store can number`);
  return Number(current);
}

/** The one place the client's concurrency error becomes the domain's; `expected` stays as the caller said it. */
export function toConcurrencyError(stream: string, expected: ExpectedRevision, error: Pick<WrongExpectedVersionError, 'actualVersion'>): ConcurrencyError {
  return new ConcurrencyError(stream, expected, fromCurrentRevision(error.actualVersion));
}
