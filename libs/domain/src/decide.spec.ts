import fc from 'fast-check';
import { deciderScene, registrationsOf as registrations, stateOf as everything } from '@ifreg/testing';
import { MAX_IF_INDEX } from './allocator';
import { decide, MAX_PROVIDER_CONTEXT_BYTES } from './decide';
import type { BootEpochStarted, InterfaceRegistered, RegistrationFailed, RegistryEvent } from './events';
import { completeInfo, type NetIfInformationInput } from './interface-info';
import { luidName, type NetLuid } from './luid';
import type { BootEpoch, InterfaceDetected, InterfaceRemoved, MessageRejected, RegistrarMessage } from './messages';
import { DEFAULT_OPTIONS, evolve, initialState } from './state';

// ---- the scene: one scope, one clock reading, a few message builders -------------------------------------------

const SCOPE = 'host-a';
const PROVIDER = 'agent-linux';
const OTHER_PROVIDER = 'agent-sim';
const RECEIVED_AT = '2026-11-24T12:00:01.000Z';
const DETECTED_AT = '2026-11-24T12:00:00.000Z';

const eth = (netLuidIndex: number): NetLuid => ({ ifType: 6, netLuidIndex });

const detected = (messageId: string, luid: NetLuid, fields: Partial<Omit<InterfaceDetected, 'type' | 'messageId' | 'luid'>> = {}): InterfaceDetected => ({
  type: 'InterfaceDetected',
  messageId,
  scope: SCOPE,
  providerId: PROVIDER,
  luid,
  providerIfContext: `ctx-${luidName(luid)}`,
  info: { friendlyName: luidName(luid), physAddress: '02:42:ac:11:00:02' },
  detectedAt: DETECTED_AT,
  ...fields,
});

const removed = (messageId: string, luid: NetLuid, providerId = PROVIDER): InterfaceRemoved => ({ type: 'InterfaceRemoved', messageId, scope: SCOPE, providerId, luid });

const booted = (messageId: string, fields: Partial<Omit<BootEpoch, 'type' | 'messageId'>> = {}): BootEpoch => ({ type: 'BootEpoch', messageId, scope: SCOPE, ...fields });

const rejected = (messageId: string, fields: Partial<Omit<MessageRejected, 'type' | 'messageId'>> = {}): MessageRejected => ({
  type: 'MessageRejected',
  messageId,
  scope: SCOPE,
  messageType: 'InterfaceDetected',
  reason: 'info.friendlyName is required',
  ...fields,
});

const infoOf = (input: NetIfInformationInput) => {
  const checked = completeInfo(input);
  if (!checked.ok) throw new Error(checked.reason);
  return checked.value;
};

// ---- given / when / then (the harness of @ifreg/testing) ---------------------------------------------------------

const { given, givenWith, recorded, after } = deciderScene(SCOPE, RECEIVED_AT);

const ifIndexOf = (event: RegistryEvent | undefined): number | undefined => (event?.type === 'InterfaceRegistered' ? event.ifIndex : undefined);

// ---- registration ----------------------------------------------------------------------------------------------

describe('an empty scope, before any BootEpoch', () => {
  it('registers the first detected interface as ifIndex 1 of epoch 0, with the completed information', () => {
    given()
      .when(detected('m1', eth(32768)))
      .then({
        type: 'InterfaceRegistered',
        scope: SCOPE,
        epoch: 0,
        ifIndex: 1,
        luid: eth(32768),
        providerId: PROVIDER,
        providerIfContext: 'ctx-ethernet_32768',
        info: infoOf({ friendlyName: 'ethernet_32768', physAddress: '02:42:ac:11:00:02' }),
        detectedAt: DETECTED_AT,
        causationId: 'm1',
        at: RECEIVED_AT,
      });
  });

  it('records an empty ProviderIfContext and no detection time when the message has none', () => {
    const { decision } = given().when(detected('m1', eth(1), { providerIfContext: undefined, detectedAt: undefined }));
    expect(decision.events[0]).toMatchObject({ type: 'InterfaceRegistered', providerIfContext: '' });
    expect(decision.events[0]).not.toHaveProperty('detectedAt');
  });

  it('records the removal time the agent gave, and none when it gave none', () => {
    const registered = given(...after(detected('m1', eth(1)), detected('m2', eth(2))));
    const withTime = registered.when({ ...removed('m3', eth(1)), removedAt: DETECTED_AT });
    expect(withTime.decision.events[0]).toMatchObject({ type: 'InterfaceDeregistered', removedAt: DETECTED_AT });
    expect(registered.when(removed('m4', eth(2))).decision.events[0]).not.toHaveProperty('removedAt');
  });

  it('hands out increasing indexes 1, 2, 3 to successive new LUIDs', () => {
    const first = given().when(detected('m1', eth(10)));
    const second = first.when(detected('m2', { ifType: 24, netLuidIndex: 0 }));
    const third = second.when(detected('m3', eth(11)));
    expect([first, second, third].map(({ decision }) => ifIndexOf(decision.outcome))).toEqual([1, 2, 3]);
  });
});

describe('a scope whose index space (maxIfIndex 3) is full', () => {
  const full = () => givenWith({ maxIfIndex: 3 }, ...recorded({ ...DEFAULT_OPTIONS, maxIfIndex: 3 }, detected('m1', eth(1)), detected('m2', eth(2)), detected('m3', eth(3))));

  it('refuses a new LUID with RESOURCES and changes nothing else', () => {
    const failure = full().when(detected('m4', eth(4))).thenFailed('RESOURCES', /no free interface index in scope host-a \(all 3 in use\)/);
    expect(failure).toMatchObject({ messageType: 'InterfaceDetected', luid: eth(4), epoch: 0 });
  });

  it('still answers a re-detection of a registered LUID with its registration', () => {
    expect(ifIndexOf(full().when(detected('m4', eth(2))).thenRedetected())).toBe(2);
  });

  it('hands out the one index a removal frees', () => {
    const scene = full().when(removed('m4', eth(2))).when(detected('m5', eth(4)));
    expect(ifIndexOf(scene.decision.outcome)).toBe(2);
  });
});

describe('a default scope filled with 65,535 interfaces through decide and evolve', () => {
  it('handed out 1..65535 in order and refuses the 65,536th detection with RESOURCES, changing nothing', () => {
    const scene = given();
    let expected = 1;
    for (let i = 1; i <= MAX_IF_INDEX; i++, expected++) {
      const { events } = decide(scene.state, { message: detected(`m${i}`, eth(i)), receivedAt: RECEIVED_AT });
      const [event] = events;
      if (events.length !== 1 || ifIndexOf(event) !== expected) throw new Error(`detection ${i} gave ${JSON.stringify(events)}`);
      evolve(scene.state, event as InterfaceRegistered);
    }
    expect(scene.state.allocator.live).toBe(MAX_IF_INDEX);
    expect(scene.state.byLuid.size).toBe(MAX_IF_INDEX);
    scene.when(detected('m65536', eth(65536))).thenFailed('RESOURCES', /all 65535 in use/);
  });
});

// ---- invalid parameters ----------------------------------------------------------------------------------------

describe('a detection with impossible values', () => {
  it.each<[string, InterfaceDetected, RegExp]>([
    ['a NetLuidIndex over 24 bits', detected('m1', eth(2 ** 24)), /luid\.netLuidIndex/],
    ['an IfType over 16 bits', detected('m1', { ifType: 2 ** 16, netLuidIndex: 1 }), /luid\.ifType/],
    ['a negative NetLuidIndex', detected('m1', eth(-1)), /luid\.netLuidIndex/],
    ['an empty friendly name', detected('m1', eth(1), { info: { friendlyName: '' } }), /info\.friendlyName/],
    ['reserved flags', detected('m1', eth(1), { info: { friendlyName: 'eth0', flags: 4 } }), /info\.flags/],
    ['media type 20', detected('m1', eth(1), { info: { friendlyName: 'eth0', mediaType: 20 } }), /info\.mediaType/],
    ['a 33-byte physical address', detected('m1', eth(1), { info: { friendlyName: 'eth0', physAddress: Array(33).fill('00').join(':') } }), /info\.physAddress/],
    ['a ProviderIfContext of 257 ASCII bytes', detected('m1', eth(1), { providerIfContext: 'x'.repeat(257) }), /providerIfContext.*256 bytes/],
    ['a ProviderIfContext of 86 characters but 258 UTF-8 bytes', detected('m1', eth(1), { providerIfContext: '€'.repeat(86) }), /providerIfContext/],
    ['a ProviderIfContext of 65 four-byte characters', detected('m1', eth(1), { providerIfContext: '🜁'.repeat(65) }), /providerIfContext/],
  ])('refuses %s with INVALID_PARAMETER, keeping the LUID as given', (_, message, reason) => {
    const failure = given().when(message).thenFailed('INVALID_PARAMETER', reason);
    expect(failure.luid).toEqual(message.luid);
    expect(failure.messageType).toBe('InterfaceDetected');
  });

  it('leaves index 1 for the next valid detection', () => {
    const scene = given().when(detected('m1', eth(2 ** 24))).when(detected('m2', eth(1)));
    expect(ifIndexOf(scene.decision.outcome)).toBe(1);
  });
});

describe('a detection at the limits', () => {
  it.each([
    ['a ProviderIfContext of exactly 256 ASCII bytes', 'x'.repeat(MAX_PROVIDER_CONTEXT_BYTES)],
    ['a ProviderIfContext of 85 three-byte characters and one byte', `${'€'.repeat(85)}x`],
    ['a ProviderIfContext of 64 four-byte characters', '🜁'.repeat(64)],
  ])('registers one with %s', (_, providerIfContext) => {
    expect(ifIndexOf(given().when(detected('m1', eth(1), { providerIfContext })).decision.outcome)).toBe(1);
  });

  it('registers the largest LUID, IfType 65535 and NetLuidIndex 2^24 - 1', () => {
    expect(ifIndexOf(given().when(detected('m1', { ifType: 0xffff, netLuidIndex: 0xffffff })).decision.outcome)).toBe(1);
  });
});

describe('a MessageRejected from the edge (scope readable, content not)', () => {
  it('is recorded as RegistrationFailed INVALID_PARAMETER with the edge reason and message type', () => {
    given()
      .when(rejected('m1', { messageType: 'InterfaceRemoved', reason: 'luid is required', luid: eth(3) }))
      .then({
        type: 'RegistrationFailed',
        scope: SCOPE,
        epoch: 0,
        messageType: 'InterfaceRemoved',
        luid: eth(3),
        status: 'INVALID_PARAMETER',
        reason: 'luid is required',
        causationId: 'm1',
        at: RECEIVED_AT,
      });
  });

  it('carries no LUID when none could be read, and changes nothing', () => {
    const failure = given(...after(detected('m1', eth(1)))).when(rejected('m2')).thenFailed('INVALID_PARAMETER', /friendlyName/);
    expect(failure).not.toHaveProperty('luid');
  });
});

// ---- the same LUID again ---------------------------------------------------------------------------------------

describe('an interface already registered in this epoch', () => {
  const history = () => after(detected('m1', eth(7)), detected('m2', eth(8)));

  it('is answered with its existing registration, under the new message id, when detected again with the same information', () => {
    const [registration] = history();
    const outcome = given(...history()).when(detected('m3', eth(7))).thenRedetected();
    expect(outcome).toEqual({ ...registration, causationId: 'm3' });
  });

  it('recognises a replayed re-detection after a later removal as done, instead of registering again', () => {
    // Kafka replays m3 and m4 after a crash: m3 must not bring back what m4 removed.
    const scene = given(...history()).when(detected('m3', eth(7))).when(removed('m4', eth(7)));
    const replayed = scene.when(detected('m3', eth(7)));
    expect(replayed.decision.events).toEqual([]);
    expect(replayed.decision.outcome).toMatchObject({ type: 'InterfaceRegistered', ifIndex: 1, causationId: 'm3' });
    expect([...replayed.state.byLuid.values()].map((r) => r.ifIndex)).toEqual([2]);
  });

  it('is answered with its registration when the information differs only in defaults and letter case', () => {
    const again = detected('m3', eth(7), { info: { friendlyName: 'ethernet_7', physAddress: '02:42:AC:11:00:02', flags: 0, accessType: 'broadcast' } });
    expect(ifIndexOf(given(...history()).when(again).thenRedetected())).toBe(1);
  });

  it.each<[string, Partial<InterfaceDetected>]>([
    ['other information', { info: { friendlyName: 'eth0-renamed', physAddress: '02:42:ac:11:00:02' } }],
    ['another physical address', { info: { friendlyName: 'ethernet_7', physAddress: '02:42:ac:11:00:09' } }],
    ['another ProviderIfContext', { providerIfContext: 'other' }],
    ['another provider', { providerId: OTHER_PROVIDER }],
  ])('is a conflict (INTERFACE_EXISTS) when detected again with %s, and stays as it was', (_, fields) => {
    const scene = given(...history());
    const failure = scene.when(detected('m3', eth(7), fields)).thenFailed('INTERFACE_EXISTS', /ethernet_7 is already registered as ifIndex 1 by agent-linux/);
    expect(failure.luid).toEqual(eth(7));
    expect(scene.state.byLuid.get('0x0006000007000000')).toMatchObject({ ifIndex: 1, causationId: 'm1' });
  });
});

// ---- redelivery ------------------------------------------------------------------------------------------------

describe('a message whose outcome is already recorded (redelivered by Kafka)', () => {
  it('records nothing for a redelivered detection and answers with the recorded registration', () => {
    const history = after(detected('m1', eth(7)));
    expect(given(...history).when(detected('m1', eth(7))).thenNothingRecorded()).toEqual(history[0]);
  });

  it('answers a redelivered detection with its recorded registration even when its content changed', () => {
    const history = after(detected('m1', eth(7)));
    expect(given(...history).when(detected('m1', eth(9), { providerId: OTHER_PROVIDER })).thenNothingRecorded()).toEqual(history[0]);
  });

  it('answers a redelivered failed detection with its recorded failure', () => {
    const history = after(detected('m1', eth(2 ** 24)));
    expect(given(...history).when(detected('m1', eth(2 ** 24))).thenNothingRecorded()).toEqual(history[0]);
  });

  it('records nothing for a redelivered removal, although the LUID is no longer registered', () => {
    const history = after(detected('m1', eth(7)), removed('m2', eth(7)));
    const outcome = given(...history).when(removed('m2', eth(7))).thenNothingRecorded();
    expect(outcome).toEqual(history[1]);
    expect(outcome.type).toBe('InterfaceDeregistered');
  });

  it('does not start another epoch for a redelivered BootEpoch', () => {
    const history = after(booted('b1'), detected('m1', eth(7)));
    const scene = given(...history);
    expect(scene.when(booted('b1')).thenNothingRecorded()).toEqual(history[0]);
    expect(scene.state.epoch).toBe(1);
    expect(scene.state.byLuid.size).toBe(1);
  });

  it('does not register again a detection replayed after a later BootEpoch', () => {
    const history = after(detected('m1', eth(7)), booted('b1'));
    const scene = given(...history);
    const outcome = scene.when(detected('m1', eth(7))).thenNothingRecorded();
    expect(outcome).toEqual(history[0]);
    expect(outcome).toMatchObject({ epoch: 0, ifIndex: 1 });
    expect(scene.state.byLuid.size).toBe(0);
    expect(scene.state.allocator.live).toBe(0);
  });

  it('acts anew on a message id older than the dedupe window', () => {
    const options = { ...DEFAULT_OPTIONS, dedupeWindow: 2 };
    const history = recorded(options, detected('m1', eth(1)), removed('m2', eth(1)), detected('m3', eth(2)));
    const scene = givenWith(options, ...history);
    expect([...scene.state.outcomes.keys()]).toEqual(['m2', 'm3']);
    expect(scene.state.forgotten).toBe(1);
    expect(ifIndexOf(scene.when(detected('m1', eth(1))).decision.events[0])).toBe(3);
  });

  it('keeps the last dedupeWindow ids however many pass through it, and counts those it forgot', () => {
    const options = { ...DEFAULT_OPTIONS, dedupeWindow: 3 };
    const history = recorded(options, ...[1, 2, 3, 4, 5, 6, 7].map((n) => detected(`m${n}`, eth(n))));
    const scene = givenWith(options, ...history);
    expect([...scene.state.outcomes.keys()].sort()).toEqual(['m5', 'm6', 'm7']);
    expect(scene.state.forgotten).toBe(4);
    expect(scene.when(detected('m6', eth(6))).decision.events).toEqual([]);
  });
});

// ---- removal ---------------------------------------------------------------------------------------------------

describe('an InterfaceRemoved', () => {
  it('of an unknown LUID fails with INTERFACE_NOT_FOUND and changes nothing', () => {
    const failure = given(...after(detected('m1', eth(1))))
      .when(removed('m2', eth(2)))
      .thenFailed('INTERFACE_NOT_FOUND', /ethernet_2 is not registered in epoch 0 of host-a/);
    expect(failure).toMatchObject({ messageType: 'InterfaceRemoved', luid: eth(2) });
  });

  it('by a provider other than the registering one fails with INVALID_PARAMETER and leaves the interface registered', () => {
    const scene = given(...after(detected('m1', eth(1))));
    scene.when(removed('m2', eth(1), OTHER_PROVIDER)).thenFailed('INVALID_PARAMETER', /registered by agent-linux, not agent-sim/);
    expect(scene.state.byLuid.size).toBe(1);
  });

  it('with an impossible LUID fails with INVALID_PARAMETER', () => {
    given().when(removed('m1', { ifType: 6, netLuidIndex: 2 ** 24 })).thenFailed('INVALID_PARAMETER', /luid\.netLuidIndex/);
  });

  it('by the registering provider deregisters the interface and frees its index', () => {
    const scene = given(...after(detected('m1', eth(1)), detected('m2', eth(2))));
    scene.when(removed('m3', eth(2))).then({
      type: 'InterfaceDeregistered',
      scope: SCOPE,
      epoch: 0,
      ifIndex: 2,
      luid: eth(2),
      providerId: PROVIDER,
      causationId: 'm3',
      at: RECEIVED_AT,
    });
    expect(scene.state.allocator.live).toBe(1);
    expect(scene.state.allocator.used.has(2)).toBe(false);
    expect([...scene.state.byLuid.values()].map((r) => r.luid)).toEqual([eth(1)]);
  });

  it('is followed by a detection that gets the next index after the last handed out, not the freed one', () => {
    const scene = given(...after(detected('m1', eth(1)), detected('m2', eth(2)), detected('m3', eth(3))))
      .when(removed('m4', eth(2)))
      .when(detected('m5', eth(4)));
    expect(ifIndexOf(scene.decision.outcome)).toBe(4);
  });

  it('lets the removed LUID register again, under a new index', () => {
    const scene = given(...after(detected('m1', eth(1)), detected('m2', eth(2))))
      .when(removed('m3', eth(1)))
      .when(detected('m4', eth(1)));
    expect(ifIndexOf(scene.decision.outcome)).toBe(3);
  });
});

// ---- boot epochs -----------------------------------------------------------------------------------------------

describe('a BootEpoch', () => {
  it('starts epoch 1 in a scope that never booted, with its boot id and time', () => {
    given()
      .when(booted('b1', { bootId: 'boot-1', at: '2026-11-24T11:59:00.000Z' }))
      .then({ type: 'BootEpochStarted', scope: SCOPE, epoch: 1, bootId: 'boot-1', causationId: 'b1', at: '2026-11-24T11:59:00.000Z' });
  });

  it('takes the receive time when the message has no time, and no boot id when it has none', () => {
    const [event] = given().when(booted('b1')).decision.events;
    expect(event).toEqual<BootEpochStarted>({ type: 'BootEpochStarted', scope: SCOPE, epoch: 1, causationId: 'b1', at: RECEIVED_AT });
  });

  it('starts epoch n + 1 after epoch n', () => {
    const scene = given(...after(booted('b1'), booted('b2'), booted('b3'))).when(booted('b4'));
    expect(scene.decision.outcome).toMatchObject({ type: 'BootEpochStarted', epoch: 4 });
    expect(scene.state.epoch).toBe(4);
  });

  describe('after interfaces were registered', () => {
    const history = () => after(booted('b1'), detected('m1', eth(1)), detected('m2', eth(2)), removed('m3', eth(1)), booted('b2'));

    it('restarts the index space: the next detection gets ifIndex 1 of the new epoch', () => {
      expect(given(...history()).when(detected('m4', eth(9))).decision.outcome).toMatchObject({ type: 'InterfaceRegistered', ifIndex: 1, epoch: 2 });
    });

    it('forgets the old LUIDs: removing one is INTERFACE_NOT_FOUND', () => {
      given(...history()).when(removed('m4', eth(2))).thenFailed('INTERFACE_NOT_FOUND', /not registered in epoch 2/);
    });

    it('registers an old LUID anew, even with other information, with no conflict', () => {
      const outcome = given(...history()).when(detected('m4', eth(2), { info: { friendlyName: 'renamed' } })).decision.outcome;
      expect(outcome).toMatchObject({ type: 'InterfaceRegistered', ifIndex: 1, epoch: 2, luid: eth(2) });
    });
  });
});

// ---- evolve ----------------------------------------------------------------------------------------------------

describe('evolve', () => {
  const history = () => after(booted('b1'), detected('m1', eth(1)), detected('m2', eth(2)));

  it('ignores an event of an unknown type', () => {
    const scene = given(...history());
    const before = everything(scene.state);
    evolve(scene.state, { type: 'InterfaceRenamed', scope: SCOPE, epoch: 1, ifIndex: 1 } as unknown as RegistryEvent);
    expect(everything(scene.state)).toEqual(before);
  });

  it('ignores a registration or deregistration of another epoch (but remembers its outcome)', () => {
    const scene = given(...history());
    const before = registrations(scene.state);
    const [, registration] = history();
    const stale = { ...(registration as InterfaceRegistered), epoch: 0, ifIndex: 5, luid: eth(5), causationId: 'old-1' };
    evolve(scene.state, stale);
    evolve(scene.state, { type: 'InterfaceDeregistered', scope: SCOPE, epoch: 0, ifIndex: 1, luid: eth(1), providerId: PROVIDER, causationId: 'old-2', at: RECEIVED_AT });
    expect(registrations(scene.state)).toEqual(before);
    expect(scene.state.outcomes.get('old-1')).toBe(stale);
  });

  it('changes nothing but the remembered outcome for a RegistrationFailed', () => {
    const scene = given(...history());
    const before = registrations(scene.state);
    const failure: RegistrationFailed = {
      type: 'RegistrationFailed',
      scope: SCOPE,
      epoch: 1,
      messageType: 'InterfaceDetected',
      luid: eth(3),
      status: 'RESOURCES',
      reason: 'test',
      causationId: 'm3',
      at: RECEIVED_AT,
    };
    evolve(scene.state, failure);
    expect(registrations(scene.state)).toEqual(before);
    expect(scene.state.outcomes.get('m3')).toBe(failure);
  });

  it('remembers at most dedupeWindow outcomes, dropping the oldest', () => {
    const scene = givenWith({ dedupeWindow: 3 }, ...history()).when(detected('m9', eth(9)));
    expect([...scene.state.outcomes.keys()]).toEqual(['m1', 'm2', 'm9']);
  });
});

// ---- any sequence of messages ----------------------------------------------------------------------------------

type Step =
  | { readonly kind: 'detect'; readonly luid: number; readonly variant: number; readonly provider: number }
  | { readonly kind: 'remove'; readonly luid: number; readonly provider: number }
  | { readonly kind: 'boot' }
  | { readonly kind: 'reject' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'redeliver'; readonly pick: number };

const luidArb = fc.integer({ min: 0, max: 7 });
const providerArb = fc.integer({ min: 0, max: 1 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('detect' as const), luid: luidArb, variant: fc.integer({ min: 0, max: 1 }), provider: providerArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('remove' as const), luid: luidArb, provider: providerArb }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'boot' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reject' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalid' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat() }) },
);

function messageFor(step: Step, id: string, sent: readonly RegistrarMessage[]): RegistrarMessage {
  const providerId = (p: number) => (p === 0 ? PROVIDER : OTHER_PROVIDER);
  switch (step.kind) {
    case 'detect':
      return detected(id, eth(step.luid), { providerId: providerId(step.provider), info: { friendlyName: `if${step.luid}-v${step.variant}` } });
    case 'remove':
      return removed(id, eth(step.luid), providerId(step.provider));
    case 'boot':
      return booted(id);
    case 'reject':
      return rejected(id);
    case 'invalid':
      return detected(id, eth(2 ** 24));
    case 'redeliver':
      return sent.length === 0 ? booted(id) : (sent[step.pick % sent.length] as RegistrarMessage);
  }
}

describe('a scope (maxIfIndex 1..6) under any sequence of messages, redeliveries included', () => {
  it('keeps every live index in 1..max and unique, records one event per new message, and answers a redelivery as before', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(stepArb, { maxLength: 80 }), (maxIfIndex, steps) => {
        const state = initialState(SCOPE, { ...DEFAULT_OPTIONS, maxIfIndex });
        const sent: RegistrarMessage[] = [];
        const firstOutcome = new Map<string, RegistryEvent>();
        steps.forEach((step, n) => {
          const message = messageFor(step, `m${n}`, sent);
          const redelivery = firstOutcome.has(message.messageId);
          const fullBefore = state.allocator.live >= maxIfIndex;
          const wasRegistered = message.type === 'InterfaceDetected' && [...state.byLuid.values()].some((r) => r.luid.netLuidIndex === message.luid.netLuidIndex);
          const { events, outcome } = decide(state, { message, receivedAt: RECEIVED_AT });
          for (const event of events) evolve(state, event);

          expect(events.length).toBeLessThanOrEqual(1);
          if (redelivery) {
            expect(events).toEqual([]);
            expect(outcome).toEqual(firstOutcome.get(message.messageId));
            return;
          }
          sent.push(message);
          expect(outcome.causationId).toBe(message.messageId);
          expect(events).toHaveLength(1);
          if (events[0]?.type === 'InterfaceRedetected') {
            // An idempotent re-detection records only that; its answer is the registration.
            expect(outcome.type).toBe('InterfaceRegistered');
            expect(wasRegistered).toBe(true);
          } else {
            expect(outcome).toBe(events[0]);
          }
          firstOutcome.set(message.messageId, outcome);
          if (outcome.type === 'RegistrationFailed' && outcome.status === 'RESOURCES') expect(fullBefore).toBe(true);
          if (message.type === 'InterfaceDetected' && fullBefore && !wasRegistered && events.length === 1 && message.luid.netLuidIndex < 2 ** 24) {
            expect(outcome).toMatchObject({ type: 'RegistrationFailed', status: 'RESOURCES' });
          }

          const indexes = [...state.byLuid.values()].map((r) => r.ifIndex);
          expect(new Set(indexes).size).toBe(indexes.length);
          for (const ifIndex of indexes) {
            expect(ifIndex).toBeGreaterThanOrEqual(1);
            expect(ifIndex).toBeLessThanOrEqual(maxIfIndex);
          }
          expect(state.allocator.live).toBe(indexes.length);
          for (const registration of state.byLuid.values()) expect(registration.epoch).toBe(state.epoch);
        });
      }),
    );
  });
});
