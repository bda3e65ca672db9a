import {
  completeInfo,
  decide,
  evolve,
  initialState,
  type AgentMessage,
  type Command,
  type RegistryEvent,
  type RegistryState,
} from '@ifreg/domain';
import { DEFAULT_MAX_MESSAGE_BYTES, MAX_MESSAGE_DEPTH, decodeAgentMessage, eventProblem, isRegistryEvent, storedEventProblem, type Decoded } from './decode';

const MESSAGE_ID = '6f1c2a4e-8b1d-4c3e-9f00-1a2b3c4d5e6f';
const GUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

/** The §2.9 examples of DESIGN.md, with real ids where the document elides them. */
const detected = (): Record<string, unknown> => ({
  type: 'InterfaceDetected',
  schemaVersion: 1,
  messageId: MESSAGE_ID,
  scope: 'host-a',
  providerId: 'agent-linux',
  luid: { ifType: 6, netLuidIndex: 32768 },
  providerIfContext: 'opaque string, up to 256 bytes',
  info: {
    friendlyName: 'eth0',
    physAddress: '02:42:ac:11:00:02',
    accessType: 'broadcast',
    mediaType: 0,
    physicalMediumType: 14,
    connectorPresent: true,
    interfaceGuid: GUID,
    flags: 1,
  },
  detectedAt: '2026-11-24T12:00:00.000Z',
});
const removed = (): Record<string, unknown> => ({
  type: 'InterfaceRemoved',
  schemaVersion: 1,
  messageId: 'removal-1',
  scope: 'host-a',
  providerId: 'agent-linux',
  luid: { ifType: 6, netLuidIndex: 32768 },
});
const bootEpoch = (): Record<string, unknown> => ({
  type: 'BootEpoch',
  schemaVersion: 1,
  messageId: 'boot-1',
  scope: 'host-a',
  bootId: '0b4f9a52-7f3e-4f0a-a2d5-3c6f1e2d9b10',
  at: '2026-11-24T11:59:00.000Z',
});

function messageOf(decoded: Decoded): AgentMessage {
  if (decoded.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(decoded)}`);
  return decoded.message;
}

function rejectionOf(decoded: Decoded): Extract<Decoded, { kind: 'rejected' }> {
  if (decoded.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(decoded)}`);
  return decoded;
}

function deadLetterOf(decoded: Decoded): string {
  if (decoded.kind !== 'dead-letter') throw new Error(`expected a dead letter, got ${JSON.stringify(decoded)}`);
  return decoded.reason;
}

const withInfo = (fields: Record<string, unknown>): Record<string, unknown> => {
  const body = detected();
  return { ...body, info: { ...(body['info'] as Record<string, unknown>), ...fields } };
};

describe('the example messages of the external contract', () => {
  it.each([
    ['InterfaceDetected with full information', detected],
    ['InterfaceRemoved', removed],
    ['BootEpoch', bootEpoch],
  ])('decodes %s as a message, unchanged', (_, build) => {
    // given
    const body = build();
    // when
    const decoded = decodeAgentMessage(JSON.stringify(body));
    // then
    expect(messageOf(decoded)).toEqual(body);
  });
});

describe('a message with only the required fields', () => {
  it.each<[string, Record<string, unknown>]>([
    [
      'InterfaceDetected',
      {
        type: 'InterfaceDetected',
        schemaVersion: 1,
        messageId: 'm-1',
        scope: 'local',
        providerId: 'p',
        luid: { ifType: 24, netLuidIndex: 0 },
        info: { friendlyName: 'lo' },
      },
    ],
    ['InterfaceRemoved', { type: 'InterfaceRemoved', schemaVersion: 1, messageId: 'm-2', scope: 'local', providerId: 'p', luid: { ifType: 6, netLuidIndex: 1 } }],
    ['BootEpoch', { type: 'BootEpoch', schemaVersion: 1, messageId: 'm-3', scope: 'local' }],
  ])('is a valid %s', (_, body) => {
    expect(decodeAgentMessage(`${JSON.stringify(body)}\n`).kind).toBe('message');
  });
});

describe('a message given as bytes, as Kafka delivers it', () => {
  it('decodes from a Buffer', () => {
    expect(messageOf(decodeAgentMessage(Buffer.from(JSON.stringify(detected()), 'utf8')))).toEqual(detected());
  });
});

describe('a message given as already parsed JSON', () => {
  it('decodes the object itself', () => {
    expect(messageOf(decodeAgentMessage(bootEpoch()))).toEqual(bootEpoch());
  });
});

describe('a message with a readable scope and an unacceptable body', () => {
  it.each<[string, Record<string, unknown>, string | RegExp]>([
    ['no friendly name', withInfo({ friendlyName: undefined }), 'info.friendlyName is required'],
    ['no providerId', { ...detected(), providerId: undefined }, 'providerId is required'],
    ['a NetLuidIndex of 2^24', { ...detected(), luid: { ifType: 6, netLuidIndex: 2 ** 24 } }, /^luid\.netLuidIndex .*16777215/],
    ['a negative ifType', { ...detected(), luid: { ifType: -1, netLuidIndex: 1 } }, /^luid\.ifType /],
    ['an unknown top-level property', { ...detected(), colour: 'blue' }, 'colour is not a known field'],
    ['an unknown info property', withInfo({ speed: 1000 }), 'info.speed is not a known field'],
    ['an unknown luid property', { ...detected(), luid: { ifType: 6, netLuidIndex: 1, reserved: 0 } }, 'luid.reserved is not a known field'],
    ['an unknown accessType', withInfo({ accessType: 'multicast' }), 'info.accessType must be one of loopback, broadcast, pointToPoint, pointToMultipoint'],
    ['a friendly name too long', withInfo({ friendlyName: 'n'.repeat(257) }), /^info\.friendlyName .*256/],
    ['a GUID that is not one', withInfo({ interfaceGuid: 'not-a-guid' }), /^info\.interfaceGuid /],
    ['a malformed physical address', withInfo({ physAddress: '02-42-ac-11-00-02' }), /^info\.physAddress /],
    ['a detection time that is not a time', { ...detected(), detectedAt: 'yesterday' }, /^detectedAt /],
    ['schema version 2', { ...detected(), schemaVersion: 2 }, 'schemaVersion 2 is not supported (supported: 1)'],
    ['no schema version', { ...detected(), schemaVersion: undefined }, /^schemaVersion undefined is not supported/],
    ['an unknown type', { ...detected(), type: 'InterfaceExploded' }, /^type must be one of InterfaceDetected, InterfaceRemoved, BootEpoch, NetLuidIndexRequested, NetLuidIndexFreeRequested, ObjectSetRequested, ObjectSetAnswered, got "InterfaceExploded"$/],
    ['no type', { ...bootEpoch(), type: undefined }, /^type must be one of .*, got undefined$/],
  ])('is rejected with a reason naming the field, given %s', (_, body, reason) => {
    // given: JSON.stringify drops undefined fields, which is how "missing" is written here
    const line = JSON.stringify(body);
    // when
    const rejected = rejectionOf(decodeAgentMessage(line));
    // then
    expect(rejected.scope).toBe('host-a');
    if (typeof reason === 'string') expect(rejected.reason).toBe(reason);
    else expect(rejected.reason).toMatch(reason);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a ProviderIfContext of 257 characters', { ...detected(), providerIfContext: 'x'.repeat(257) }, /^providerIfContext .*256/],
    ['a GUID with a urn:uuid: prefix, which the domain refuses too', withInfo({ interfaceGuid: `urn:uuid:${GUID}` }), /^info\.interfaceGuid /],
    ['a physical address of 33 bytes', withInfo({ physAddress: Array(33).fill('0a').join(':') }), /^info\.physAddress /],
    ['flags beyond the known ones', withInfo({ flags: 4 }), /^info\.flags /],
  ])('is rejected where the domain would refuse it too, given %s', (_, body, reason) => {
    expect(rejectionOf(decodeAgentMessage(JSON.stringify(body))).reason).toMatch(reason);
  });

  it('leaves a ProviderIfContext of 86 characters (258 UTF-8 bytes) to the domain, which counts bytes', () => {
    const decoded = decodeAgentMessage(JSON.stringify({ ...detected(), providerIfContext: '€'.repeat(86) }));
    expect(decoded.kind).toBe('message');
    if (decoded.kind !== 'message') return;
    const outcome = decide(initialState('host-a'), { message: decoded.message, receivedAt: '2026-01-01T00:00:00.000Z' }).outcome;
    expect(outcome).toMatchObject({ type: 'RegistrationFailed', status: 'INVALID_PARAMETER', reason: expect.stringMatching(/providerIfContext/) });
  });

  it('accepts a removal time and the domain records it', () => {
    const decoded = decodeAgentMessage(JSON.stringify({ ...removed(), removedAt: '2026-01-01T00:00:00.000Z' }));
    expect(decoded).toMatchObject({ kind: 'message', message: { removedAt: '2026-01-01T00:00:00.000Z' } });
  });

  it('keeps the message id, the type and a valid LUID for the failure record', () => {
    const rejected = rejectionOf(decodeAgentMessage(JSON.stringify(withInfo({ accessType: 'multicast' }))));
    expect(rejected).toMatchObject({ messageId: MESSAGE_ID, messageType: 'InterfaceDetected', luid: { ifType: 6, netLuidIndex: 32768 } });
  });

  it('leaves out a LUID that is itself invalid', () => {
    const rejected = rejectionOf(decodeAgentMessage(JSON.stringify({ ...detected(), luid: { ifType: 6, netLuidIndex: 2 ** 24 } })));
    expect(rejected.luid).toBeUndefined();
  });
});

describe('a rejected message without a valid message id', () => {
  const body = { ...detected(), messageId: 'has spaces, not allowed', schemaVersion: 7 };

  it('gets an id derived from its body, valid as a causation id', () => {
    const rejected = rejectionOf(decodeAgentMessage(JSON.stringify(body)));
    expect(rejected.messageId).toMatch(/^sha256:[0-9a-f]{32}$/);
  });

  it('gets the same id every time the same body arrives, so a redelivery is recognised', () => {
    const first = rejectionOf(decodeAgentMessage(JSON.stringify(body)));
    const again = rejectionOf(decodeAgentMessage(Buffer.from(JSON.stringify(body))));
    const other = rejectionOf(decodeAgentMessage(JSON.stringify({ ...body, providerId: 'someone-else' })));
    expect(again.messageId).toBe(first.messageId);
    expect(other.messageId).not.toBe(first.messageId);
  });

  it('gets a derived id when the message id is missing altogether', () => {
    const { messageId: _unused, ...withoutId } = detected();
    expect(rejectionOf(decodeAgentMessage(JSON.stringify(withoutId))).messageId).toMatch(/^sha256:/);
  });
});

describe('hostile input', () => {
  it('is a dead letter, unparsed, when it is bigger than the maximum message size', () => {
    const big = JSON.stringify({ ...bootEpoch(), bootId: 'x'.repeat(70_000) });
    expect(deadLetterOf(decodeAgentMessage(big))).toBe(`message is ${Buffer.byteLength(big)} bytes, more than the maximum of ${DEFAULT_MAX_MESSAGE_BYTES}`);
    expect(deadLetterOf(decodeAgentMessage(Buffer.from(JSON.stringify(bootEpoch())), { maxBytes: 50 }))).toMatch(/^message is \d+ bytes, more than the maximum of 50$/);
  });

  it('is read up to the maximum size', () => {
    const body = JSON.stringify(bootEpoch());
    const padded = `{${' '.repeat(DEFAULT_MAX_MESSAGE_BYTES - body.length)}${body.slice(1)}`;
    expect(Buffer.byteLength(padded)).toBe(DEFAULT_MAX_MESSAGE_BYTES);
    expect(decodeAgentMessage(padded).kind).toBe('message');
  });

  it.each([33, 5_000, 30_000])('is rejected, not thrown, when arrays nest %i levels deep (the stack overflowed at ~5,000)', (depth) => {
    const raw = `{"scope":"host-a","type":"InterfaceDetected","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const rejected = rejectionOf(decodeAgentMessage(raw));
    expect(rejected).toMatchObject({ scope: 'host-a', messageType: 'InterfaceDetected', reason: `message nests objects or arrays deeper than ${MAX_MESSAGE_DEPTH} levels` });
    expect(rejected.messageId).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(rejectionOf(decodeAgentMessage(Buffer.from(raw))).messageId).toBe(rejected.messageId);
  });

  it('is rejected when objects nest too deep, also as parsed JSON', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const rejected = rejectionOf(decodeAgentMessage({ ...bootEpoch(), info: deep }));
    expect(rejected).toMatchObject({ scope: 'host-a', messageId: 'boot-1', reason: expect.stringMatching(/deeper than/) });
  });

  it('accepts the nesting a valid message has', () => {
    expect(decodeAgentMessage(JSON.stringify({ ...detected(), info: { friendlyName: 'eth0', physicalLocation: { busNumber: 1 } } })).kind).toBe('message');
  });
});

describe('input whose scope cannot be read', () => {
  it.each<[string, string | Buffer, RegExp]>([
    ['not JSON', '{"type": "BootEpoch",', /^not JSON: /],
    ['empty bytes', Buffer.alloc(0), /^not JSON: /],
    ['a JSON array', JSON.stringify([bootEpoch()]), /must be a JSON object/],
    ['a JSON string', JSON.stringify('BootEpoch'), /must be a JSON object/],
    ['JSON null', 'null', /must be a JSON object/],
    ['a scope with a space and a bang', JSON.stringify({ ...bootEpoch(), scope: 'bad scope!' }), /^scope must be 1-64 characters .*"bad scope!"/],
    ['a scope of 65 characters', JSON.stringify({ ...bootEpoch(), scope: 'a'.repeat(65) }), /^scope must be 1-64 characters/],
    ['an empty scope', JSON.stringify({ ...bootEpoch(), scope: '' }), /^scope must be/],
    ['no scope', JSON.stringify({ ...bootEpoch(), scope: undefined }), /^scope must be .*got undefined/],
    ['a numeric scope', JSON.stringify({ ...bootEpoch(), scope: 42 }), /^scope must be .*got 42/],
  ])('is a dead letter with the reason, given %s', (_, raw, reason) => {
    expect(deadLetterOf(decodeAgentMessage(raw))).toMatch(reason);
  });

  it('accepts a scope of exactly 64 characters of the allowed alphabet', () => {
    const scope = `${'A-z.0_'.repeat(10)}abcd`;
    expect(scope).toHaveLength(64);
    expect(decodeAgentMessage(JSON.stringify({ ...bootEpoch(), scope })).kind).toBe('message');
  });
});

describe('events produced by the domain', () => {
  const receivedAt = '2026-11-24T12:00:01.000Z';
  const command = (message: Command['message']): Command => ({ message, receivedAt });

  /** Runs messages through decide/evolve the way the registrar does and collects every event. */
  function eventsOf(messages: readonly Command['message'][], state: RegistryState = initialState('host-a')): RegistryEvent[] {
    const events: RegistryEvent[] = [];
    for (const message of messages) {
      for (const event of decide(state, command(message)).events) {
        evolve(state, event);
        events.push(event);
      }
    }
    return events;
  }

  it('pass eventProblem, for every event type', () => {
    // given
    const state = initialState('host-a', { maxIfIndex: 1, dedupeWindow: 100 });
    const rejected = rejectionOf(decodeAgentMessage(JSON.stringify({ ...removed(), messageId: 'removal-v9', schemaVersion: 9 })));
    const { kind: _kind, ...rejection } = rejected;
    // when
    const events = eventsOf(
      [
        messageOf(decodeAgentMessage(bootEpoch())),
        messageOf(decodeAgentMessage(detected())),
        messageOf(decodeAgentMessage({ ...detected(), messageId: 'second', luid: { ifType: 6, netLuidIndex: 1 } })),
        messageOf(decodeAgentMessage(removed())),
        { type: 'MessageRejected', ...rejection },
      ],
      state,
    );
    // then
    expect(events.map((e) => e.type)).toEqual([
      'BootEpochStarted',
      'InterfaceRegistered',
      'RegistrationFailed',
      'InterfaceDeregistered',
      'RegistrationFailed',
    ]);
    for (const event of events) expect(eventProblem(event)).toBeUndefined();
    for (const event of events) expect(storedEventProblem(event)).toBeUndefined();
    expect(events.every(isRegistryEvent)).toBe(true);
  });

  it('survive a JSON round trip, as the store and the outcome topic carry them', () => {
    const [registered] = eventsOf([messageOf(decodeAgentMessage(detected()))]);
    expect(eventProblem(JSON.parse(JSON.stringify(registered)))).toBeUndefined();
  });
});

describe('values that are not registry events', () => {
  const info = completeInfo({ friendlyName: 'eth0' });
  const registered = {
    type: 'InterfaceRegistered',
    scope: 'host-a',
    epoch: 0,
    ifIndex: 1,
    luid: { ifType: 6, netLuidIndex: 1 },
    providerId: 'p',
    providerIfContext: '',
    info: info.ok ? info.value : {},
    causationId: 'm-1',
    at: '2026-11-24T12:00:00.000Z',
  };

  it.each<[string, unknown, RegExp]>([
    ['null', null, /^unknown event type undefined$/],
    ['a string', 'InterfaceRegistered', /^unknown event type undefined$/],
    ['an object of unknown type', { type: 'InterfaceExploded' }, /^unknown event type "InterfaceExploded"$/],
    ['an event without its ifIndex', { ...registered, ifIndex: undefined }, /^ifIndex is required$/],
    ['an event with ifIndex 0 (NET_IFINDEX_UNSPECIFIED)', { ...registered, ifIndex: 0 }, /^ifIndex /],
    ['an event with ifIndex 65536', { ...registered, ifIndex: 65536 }, /^ifIndex /],
    ['an event with a bad scope', { ...registered, scope: 'bad scope!' }, /^scope /],
    ['an event with a bad time', { ...registered, at: 'now' }, /^at /],
    ['a failure with an unknown status', { ...registered, type: 'RegistrationFailed', status: 'OOPS', reason: 'x', messageType: 'X' }, /^status must be one of RESOURCES, /],
  ])('are refused with a reason, given %s', (_, value, reason) => {
    const input: unknown = value === null || typeof value !== 'object' ? value : JSON.parse(JSON.stringify(value));
    expect(eventProblem(input)).toMatch(reason);
    expect(isRegistryEvent(input)).toBe(false);
  });

  it('accepts the well-formed event the refusals above are variations of', () => {
    expect(eventProblem(registered)).toBeUndefined();
  });

  it.each<[string, unknown, RegExp]>([
    ['an object of unknown type', { type: 'InterfaceExploded' }, /^unknown event type "InterfaceExploded"$/],
    ['an event without its ifIndex', { ...registered, ifIndex: undefined }, /^ifIndex is required$/],
    ['an event with ifIndex 65536', { ...registered, ifIndex: 65536 }, /^ifIndex /],
    ['an event with a bad scope', { ...registered, scope: 'bad scope!' }, /^scope /],
  ])('are refused when read from the store too (storedEventProblem), given %s', (_, value, reason) => {
    expect(storedEventProblem(JSON.parse(JSON.stringify(value)))).toMatch(reason);
  });

  it('are checked for their shape only when read from the store: the edge checked their formats', () => {
    expect(storedEventProblem({ ...registered, at: 'now' })).toBeUndefined();
    expect(storedEventProblem({ ...registered, at: 7 })).toMatch(/^at /);
  });
});
