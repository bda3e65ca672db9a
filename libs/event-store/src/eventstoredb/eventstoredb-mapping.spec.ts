import {
  ANY as CLIENT_ANY, ErrorType, NO_STREAM as CLIENT_NO_STREAM, StreamNotFoundError, UnavailableError, WrongExpectedVersionError,
  type RecordedEvent as ClientRecordedEvent,
} from '@eventstore/db-client';
import { ANY, ConcurrencyError, NO_STREAM } from '@ifreg/ports';
import { isStreamNotFound, isTransient, isWrongExpectedVersion } from './errors';
import { ORIGINAL_ID_KEY, esdbEventId, fromRecordedEvent, toProposedEvent } from './event-mapping';
import { fromCurrentRevision, toClientRevision, toConcurrencyError } from './revisions';
import { StreamNames } from './stream-names';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('our expected revision stated to the client', () => {
  it('maps a revision to a bigint, NO_STREAM and ANY to the client constants', () => {
    expect(toClientRevision(0)).toBe(0n);
    expect(toClientRevision(41)).toBe(41n);
    expect(toClientRevision(NO_STREAM)).toBe(CLIENT_NO_STREAM);
    expect(toClientRevision(ANY)).toBe(CLIENT_ANY);
  });

  it('refuses what is no revision at all', () => {
    expect(() => toClientRevision(-2)).toThrow(RangeError);
    expect(() => toClientRevision(1.5)).toThrow(RangeError);
    expect(() => toClientRevision('latest' as never)).toThrow(RangeError);
  });

  it("reads the client's current revision back as ours", () => {
    expect(fromCurrentRevision(CLIENT_NO_STREAM)).toBe(NO_STREAM);
    expect(fromCurrentRevision(7n)).toBe(7);
    expect(() => fromCurrentRevision(2n ** 60n)).toThrow(RangeError);
  });
});

describe("the client's WrongExpectedVersionError", () => {
  const error = new WrongExpectedVersionError(undefined, { streamName: 'ns-order-1', expected: 3n, current: 5n });

  it('is recognised, also when only shaped like it', () => {
    expect(isWrongExpectedVersion(error)).toBe(true);
    expect(isWrongExpectedVersion({ type: ErrorType.WRONG_EXPECTED_VERSION, actualVersion: 1n })).toBe(true);
    expect(isWrongExpectedVersion(new Error('wrong expected version'))).toBe(false);
    expect(isWrongExpectedVersion(undefined)).toBe(false);
  });

  it('becomes our ConcurrencyError with the actual revision and our stream name', () => {
    const mapped = toConcurrencyError('order-1', 3, error);
    expect(mapped).toBeInstanceOf(ConcurrencyError);
    expect(mapped).toMatchObject({ stream: 'order-1', expected: 3, actual: 5 });
  });

  it('says actual NO_STREAM when the stream does not exist', () => {
    const missing = new WrongExpectedVersionError(undefined, { streamName: 'order-2', expected: 0n, current: 'no_stream' });
    expect(toConcurrencyError('order-2', 0, missing)).toMatchObject({ expected: 0, actual: NO_STREAM });
  });
});

describe('other client errors', () => {
  it('tells a missing stream and transient failures apart', () => {
    expect(isStreamNotFound(new StreamNotFoundError(undefined, 'order-1'))).toBe(true);
    expect(isStreamNotFound(new UnavailableError())).toBe(false);
    expect(isTransient(new UnavailableError())).toBe(true);
    expect(isTransient({ type: ErrorType.NOT_LEADER })).toBe(true);
    expect(isTransient(new WrongExpectedVersionError(undefined, { streamName: 's', expected: 0n, current: 1n }))).toBe(false);
    expect(isTransient(new Error('boom'))).toBe(false);
  });
});

describe('event ids sent to EventStoreDB', () => {
  it('keeps a lowercase UUID as it is', () => {
    expect(esdbEventId(UUID)).toBe(UUID);
    const proposed = toProposedEvent({ id: UUID, type: 'T', data: { a: 1 }, metadata: { correlationId: 'c' } });
    expect(proposed).toMatchObject({ id: UUID, type: 'T', contentType: 'application/json', data: { a: 1 }, metadata: { correlationId: 'c' } });
  });

  it('derives a stable UUID from any other id and carries the original in the metadata', () => {
    const id = esdbEventId('a-0');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(esdbEventId('a-0')).toBe(id);
    expect(esdbEventId('a-1')).not.toBe(id);
    expect(esdbEventId(UUID.toUpperCase())).not.toBe(UUID.toUpperCase());
    expect(toProposedEvent({ id: 'a-0', type: 'T', data: null }).metadata).toEqual({ [ORIGINAL_ID_KEY]: 'a-0' });
  });

  it('records undefined data as null, like the SQLite store', () => {
    expect(toProposedEvent({ id: UUID, type: 'T', data: undefined }).data).toBeNull();
  });

  it('refuses metadata using the reserved key', () => {
    expect(() => toProposedEvent({ id: UUID, type: 'T', data: {}, metadata: { [ORIGINAL_ID_KEY]: 'x' } })).toThrow(/reserved/);
  });
});

describe('a recorded event read back', () => {
  const recorded = (metadata: unknown): ClientRecordedEvent => ({
    streamId: 'ns-order-1', id: esdbEventId('a-0'), revision: 4n, type: 'Tested', isJson: true, data: { i: 4 },
    metadata: metadata as Record<string, unknown>, created: new Date('2026-01-02T03:04:05.678Z'),
  });

  it('answers our id, stream, revision, position and metadata without the reserved key', () => {
    expect(fromRecordedEvent('order-1', recorded({ causationId: 'm', [ORIGINAL_ID_KEY]: 'a-0' }), 12)).toEqual({
      id: 'a-0', type: 'Tested', data: { i: 4 }, metadata: { causationId: 'm' },
      stream: 'order-1', revision: 4, position: 12, recordedAt: '2026-01-02T03:04:05.678Z',
    });
  });

  it('answers empty metadata when the event has none', () => {
    expect(fromRecordedEvent('order-1', recorded(undefined), 1).metadata).toEqual({});
  });
});

describe('stream names of a store', () => {
  it('prefixes the namespace on the server and strips it on the way back', () => {
    const names = new StreamNames('t1_');
    expect(names.physical('order-1')).toBe('t1_order-1');
    expect(names.logical('t1_order-1')).toBe('order-1');
    expect(names.logical('t2_order-1')).toBeUndefined();
    expect(names.logical('$stats-127.0.0.1:2113')).toBeUndefined();
    expect(names.filter()).toMatchObject({ filterOn: 'streamName', prefixes: ['t1_'] });
  });

  it('owns only the configured prefixes and refuses to write elsewhere', () => {
    const names = new StreamNames('', ['registry-']);
    expect(names.physical('registry-host-a')).toBe('registry-host-a');
    expect(() => names.physical('order-1')).toThrow(/outside this store/);
    expect(names.logical('order-1')).toBeUndefined();
    expect(names.filter()).toMatchObject({ prefixes: ['registry-'] });
  });

  it('without a namespace, owns every stream but system streams, and filters them out by regex', () => {
    const names = new StreamNames();
    expect(() => names.physical('$settings')).toThrow(/outside this store/);
    expect(() => names.physical('')).toThrow(/outside this store/);
    expect(names.logical('$$order-1')).toBeUndefined();
    expect(names.logical('order-1')).toBe('order-1');
    const filter = names.filter();
    expect(filter).toMatchObject({ filterOn: 'streamName', regex: '^[^$]' });
    const regex = new RegExp('regex' in filter ? filter.regex : '');
    expect([regex.test('order-1'), regex.test('$stats-x')]).toEqual([true, false]);
  });

  it('refuses a namespace that would name system streams', () => {
    expect(() => new StreamNames('$ifreg')).toThrow(/system streams/);
  });
});
