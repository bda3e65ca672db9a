import fc from 'fast-check';
import { decide } from './decide';
import type { RegistryEvent } from './events';
import { completeInfo } from './interface-info';
import { luidHex, type NetLuid } from './luid';
import type { RegistrarMessage } from './messages';
import { emptyReadModel, type PositionedEvent, project, type ReadModel } from './projection';
import { DEFAULT_OPTIONS, evolve, initialState, type RegistryOptions, type RegistryState } from './state';

// ---- histories made the way the registrar makes them: decide, evolve, append -----------------------------------

const PROVIDER = 'agent-linux';
const AT = '2026-11-24T12:00:00.000Z';
const eth = (netLuidIndex: number): NetLuid => ({ ifType: 6, netLuidIndex });

const detected = (scope: string, messageId: string, luid: NetLuid, friendlyName = `if-${luid.netLuidIndex}`): RegistrarMessage => ({
  type: 'InterfaceDetected',
  messageId,
  scope,
  providerId: PROVIDER,
  luid,
  providerIfContext: 'ctx',
  info: { friendlyName },
});
const removed = (scope: string, messageId: string, luid: NetLuid): RegistrarMessage => ({ type: 'InterfaceRemoved', messageId, scope, providerId: PROVIDER, luid });
const booted = (scope: string, messageId: string): RegistrarMessage => ({ type: 'BootEpoch', messageId, scope, bootId: `boot-${messageId}` });
const badDetection = (scope: string, messageId: string): RegistrarMessage => detected(scope, messageId, eth(2 ** 24));

/** A registrar for many scopes: one decider state per scope, one global, gap-free position. */
class Registrar {
  readonly states = new Map<string, RegistryState>();
  readonly log: PositionedEvent[] = [];

  constructor(private readonly options: RegistryOptions = DEFAULT_OPTIONS) {}

  handle(...messages: readonly RegistrarMessage[]): this {
    for (const message of messages) {
      let state = this.states.get(message.scope);
      if (!state) {
        state = initialState(message.scope, this.options);
        this.states.set(message.scope, state);
      }
      const { events } = decide(state, { message, receivedAt: AT });
      for (const event of events) {
        evolve(state, event);
        this.log.push({ event, position: this.log.length + 1 });
      }
    }
    return this;
  }
}

const fold = (model: ReadModel, events: readonly PositionedEvent[]): ReadModel => events.reduce(project, model);
const foldNew = (events: readonly PositionedEvent[], maxFailures?: number): ReadModel => fold(emptyReadModel(maxFailures), events);

const listOf = (model: ReadModel, scope: string) =>
  [...(model.scopes.get(scope)?.interfaces.values() ?? [])].sort((a, b) => a.ifIndex - b.ifIndex).map((view) => [view.ifIndex, view.luid.name]);

// ---- examples --------------------------------------------------------------------------------------------------

describe('a scope with registered interfaces', () => {
  const registrar = () => new Registrar().handle(booted('host-a', 'b1'), detected('host-a', 'm1', eth(32768), 'eth0'), detected('host-a', 'm2', { ifType: 24, netLuidIndex: 0 }, 'lo'));

  it('lists each interface by ifIndex, with its LUID value and name, provider, information and registration position', () => {
    const { log } = registrar();
    const model = foldNew(log);
    const view = model.scopes.get('host-a');
    const info = completeInfo({ friendlyName: 'eth0' });
    expect(view?.interfaces.get(1)).toEqual({
      ifIndex: 1,
      luid: { ifType: 6, netLuidIndex: 32768, value: '0x0006008000000000', name: 'ethernet_32768' },
      providerId: PROVIDER,
      providerIfContext: 'ctx',
      info: info.ok ? info.value : undefined,
      epoch: 1,
      registeredAt: AT,
      registeredPosition: 2,
    });
    expect(listOf(model, 'host-a')).toEqual([
      [1, 'ethernet_32768'],
      [2, 'loopback_0'],
    ]);
  });

  it('finds each interface by LUID value', () => {
    const model = foldNew(registrar().log);
    expect([...(model.scopes.get('host-a')?.byLuid ?? [])]).toEqual([
      ['0x0006008000000000', 1],
      ['0x0018000000000000', 2],
    ]);
  });

  it('has the epoch, the position of the last change and the model position', () => {
    const model = foldNew(registrar().log);
    expect(model.position).toBe(3);
    expect(model.scopes.get('host-a')).toMatchObject({ scope: 'host-a', epoch: 1, lastChange: 3, lastChangeAt: AT });
  });
});

describe('a scope where an interface was deregistered', () => {
  it('no longer lists it, by ifIndex or by LUID', () => {
    const { log } = new Registrar().handle(detected('host-a', 'm1', eth(1)), detected('host-a', 'm2', eth(2)), removed('host-a', 'm3', eth(1)));
    const model = foldNew(log);
    expect(listOf(model, 'host-a')).toEqual([[2, 'ethernet_2']]);
    expect(model.scopes.get('host-a')?.byLuid.has(luidHex(eth(1)))).toBe(false);
    expect(model.scopes.get('host-a')?.lastChange).toBe(3);
  });
});

describe('a scope that booted again', () => {
  const registrar = () =>
    new Registrar().handle(
      booted('host-a', 'b1'),
      detected('host-a', 'm1', eth(1)),
      detected('host-a', 'm2', eth(2)),
      badDetection('host-a', 'm3'),
      booted('host-a', 'b2'),
      detected('host-a', 'm4', eth(2)),
    );

  it('lists only the registrations of the new epoch', () => {
    const model = foldNew(registrar().log);
    expect(model.scopes.get('host-a')?.epoch).toBe(2);
    expect(listOf(model, 'host-a')).toEqual([[1, 'ethernet_2']]);
    expect([...(model.scopes.get('host-a')?.byLuid ?? [])]).toEqual([[luidHex(eth(2)), 1]]);
  });

  it('is empty right after the BootEpochStarted, with the new epoch', () => {
    const { log } = registrar();
    const model = foldNew(log.slice(0, 5));
    expect(model.scopes.get('host-a')).toMatchObject({ epoch: 2, lastChange: 5 });
    expect(model.scopes.get('host-a')?.interfaces.size).toBe(0);
    expect(model.scopes.get('host-a')?.byLuid.size).toBe(0);
  });

  it('keeps the recent failures of the earlier epoch, each with its epoch', () => {
    const model = foldNew(registrar().log);
    expect(model.scopes.get('host-a')?.failures).toEqual([expect.objectContaining({ status: 'INVALID_PARAMETER', causationId: 'm3', epoch: 1, position: 4 })]);
  });
});

describe('a scope with more failures than the model keeps (maxFailures 3)', () => {
  it('keeps the newest 3, newest last', () => {
    const registrar = new Registrar().handle(...['f1', 'f2', 'f3', 'f4', 'f5'].map((id) => badDetection('host-a', id)));
    const failures = foldNew(registrar.log, 3).scopes.get('host-a')?.failures ?? [];
    expect(failures.map((f) => [f.causationId, f.position])).toEqual([
      ['f3', 3],
      ['f4', 4],
      ['f5', 5],
    ]);
    expect(failures[2]).toEqual({
      status: 'INVALID_PARAMETER',
      reason: expect.stringMatching(/luid\.netLuidIndex/),
      messageType: 'InterfaceDetected',
      luid: eth(2 ** 24),
      causationId: 'f5',
      epoch: 0,
      at: AT,
      position: 5,
    });
  });

  it('keeps 100 by default', () => {
    const registrar = new Registrar().handle(...Array.from({ length: 120 }, (_, i) => badDetection('host-a', `f${i}`)));
    const failures = foldNew(registrar.log).scopes.get('host-a')?.failures ?? [];
    expect(failures).toHaveLength(100);
    expect(failures[0]?.causationId).toBe('f20');
    expect(failures[99]?.causationId).toBe('f119');
  });
});

describe('two scopes whose events interleave', () => {
  const registrar = () =>
    new Registrar().handle(
      detected('host-a', 'a1', eth(1)),
      detected('host-b', 'b1', eth(1)),
      detected('host-a', 'a2', eth(2)),
      booted('host-b', 'b2'),
      detected('host-b', 'b3', eth(7)),
      badDetection('host-b', 'b4'),
    );

  it('keep their own lists, epochs, failures and last changes', () => {
    const model = foldNew(registrar().log);
    expect(listOf(model, 'host-a')).toEqual([
      [1, 'ethernet_1'],
      [2, 'ethernet_2'],
    ]);
    expect(listOf(model, 'host-b')).toEqual([[1, 'ethernet_7']]);
    expect(model.scopes.get('host-a')).toMatchObject({ epoch: 0, lastChange: 3, failures: [] });
    expect(model.scopes.get('host-b')).toMatchObject({ epoch: 1, lastChange: 6 });
    expect(model.scopes.get('host-b')?.failures.map((f) => f.causationId)).toEqual(['b4']);
  });
});

describe('events at or below the model position', () => {
  it('are skipped: replaying the whole log twice gives the model of one pass', () => {
    const { log } = new Registrar().handle(booted('host-a', 'b1'), detected('host-a', 'm1', eth(1)), badDetection('host-a', 'm2'), removed('host-a', 'm3', eth(1)));
    expect(fold(foldNew(log), log)).toEqual(foldNew(log));
  });

  it('are skipped one by one: an event at the position, or an older one, changes nothing', () => {
    const { log } = new Registrar().handle(detected('host-a', 'm1', eth(1)), removed('host-a', 'm2', eth(1)), badDetection('host-a', 'm3'));
    const model = foldNew(log);
    const once = foldNew(log);
    for (const event of [log[2], log[0], log[1]]) if (event) project(model, event);
    expect(model).toEqual(once);
  });

  it('do not move the model position back', () => {
    const { log } = new Registrar().handle(detected('host-a', 'm1', eth(1)), detected('host-a', 'm2', eth(2)));
    const model = foldNew(log);
    const [first] = log;
    if (first) project(model, first);
    expect(model.position).toBe(2);
  });
});

describe('a registration or deregistration of an epoch other than the scope view', () => {
  it('leaves the list and the last change alone', () => {
    const { log } = new Registrar().handle(booted('host-a', 'b1'), detected('host-a', 'm1', eth(1)));
    const model = foldNew(log);
    const [, registration] = log;
    if (registration?.event.type !== 'InterfaceRegistered') throw new Error('expected a registration');
    project(model, { position: 3, event: { ...registration.event, epoch: 0, ifIndex: 9, luid: eth(9) } });
    project(model, { position: 4, event: { type: 'InterfaceDeregistered', scope: 'host-a', epoch: 0, ifIndex: 1, luid: eth(1), providerId: PROVIDER, causationId: 'x', at: AT } });
    expect(listOf(model, 'host-a')).toEqual([[1, 'ethernet_1']]);
    expect(model.scopes.get('host-a')?.lastChange).toBe(2);
    expect(model.position).toBe(4);
  });
});

describe('an event of a type the projection does not know', () => {
  it('only advances the model position', () => {
    const { log } = new Registrar().handle(detected('host-a', 'm1', eth(1)));
    const model = foldNew(log);
    const before = foldNew(log);
    project(model, { position: 2, event: { type: 'InterfaceRenamed', scope: 'host-a', ifIndex: 1 } as unknown as RegistryEvent });
    expect(model.position).toBe(2);
    expect(model.scopes.get('host-a')).toEqual(before.scopes.get('host-a'));
  });
});

// ---- any history -----------------------------------------------------------------------------------------------

const SCOPES = ['host-a', 'host-b', 'host-c'] as const;

type Step =
  | { readonly kind: 'detect'; readonly scope: number; readonly luid: number; readonly variant: number }
  | { readonly kind: 'remove'; readonly scope: number; readonly luid: number }
  | { readonly kind: 'boot'; readonly scope: number }
  | { readonly kind: 'bad'; readonly scope: number }
  | { readonly kind: 'redeliver'; readonly pick: number };

const scopeArb = fc.integer({ min: 0, max: SCOPES.length - 1 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('detect' as const), scope: scopeArb, luid: fc.integer({ min: 0, max: 9 }), variant: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('remove' as const), scope: scopeArb, luid: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('boot' as const), scope: scopeArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('bad' as const), scope: scopeArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat() }) },
);

/** Runs random messages over three scopes (maxIfIndex 4, so some run out of indexes). */
function historyOf(steps: readonly Step[]): Registrar {
  const registrar = new Registrar({ ...DEFAULT_OPTIONS, maxIfIndex: 4 });
  const sent: RegistrarMessage[] = [];
  steps.forEach((step, n) => {
    const id = `m${n}`;
    const scopeOf = (i: number) => SCOPES[i] ?? 'host-a';
    let message: RegistrarMessage;
    switch (step.kind) {
      case 'detect':
        message = detected(scopeOf(step.scope), id, eth(step.luid), `if-${step.luid}-v${step.variant}`);
        break;
      case 'remove':
        message = removed(scopeOf(step.scope), id, eth(step.luid));
        break;
      case 'boot':
        message = booted(scopeOf(step.scope), id);
        break;
      case 'bad':
        message = badDetection(scopeOf(step.scope), id);
        break;
      case 'redeliver':
        message = sent[step.pick % Math.max(sent.length, 1)] ?? booted('host-a', id);
        break;
    }
    sent.push(message);
    registrar.handle(message);
  });
  return registrar;
}

const historyArb = fc.array(stepArb, { maxLength: 120, size: 'max' }).map(historyOf);

describe('any history of three scopes made by decide and evolve', () => {
  it('projects to the same model when replayed twice', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 20 }), ({ log }, maxFailures) => {
        expect(fold(foldNew(log, maxFailures), log)).toEqual(foldNew(log, maxFailures));
      }),
    );
  });

  it('projects to the same model when a subscription resumes from any older checkpoint, any number of times', () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 5 }), ({ log }, resumes) => {
        const model = emptyReadModel(5);
        let delivered = 0;
        for (const [upTo, back] of resumes) {
          // deliver up to some point, then "crash" and resume from an older checkpoint
          const end = delivered + (log.length === 0 ? 0 : upTo % (log.length - delivered + 1));
          fold(model, log.slice(delivered, end));
          delivered = Math.max(0, end - (back % (end + 1)));
        }
        fold(model, log.slice(delivered));
        expect(model).toEqual(foldNew(log, 5));
      }),
    );
  });

  it('lists, per scope, exactly the registrations the decider state holds, in its epoch', () => {
    fc.assert(
      fc.property(historyArb, ({ log, states }) => {
        const model = foldNew(log);
        for (const [scope, state] of states) {
          const view = model.scopes.get(scope);
          const expected = [...state.byLuid].map(([value, r]) => [value, r.ifIndex] as const).sort(([a], [b]) => a.localeCompare(b));
          expect([...(view?.byLuid ?? [])].sort(([a], [b]) => a.localeCompare(b))).toEqual(expected);
          expect([...(view?.interfaces.keys() ?? [])].sort((a, b) => a - b)).toEqual(expected.map(([, ifIndex]) => ifIndex).sort((a, b) => a - b));
          expect(view?.epoch ?? 0).toBe(state.epoch);
        }
      }),
    );
  });

  it('keeps at most maxFailures failures per scope, newest last', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 5 }), ({ log }, maxFailures) => {
        const model = foldNew(log, maxFailures);
        for (const scope of SCOPES) {
          const all = log.filter(({ event }) => event.scope === scope && event.type === 'RegistrationFailed').map(({ position }) => position);
          expect(model.scopes.get(scope)?.failures.map((f) => f.position) ?? []).toEqual(all.slice(-maxFailures));
        }
      }),
    );
  });
});

describe('NetLuidIndex allocations in the read model', () => {
  it('lists held indexes, drops freed ones, and keeps them across a BootEpoch', () => {
    const model = emptyReadModel();
    const base = { scope: 'host-n', epoch: 0, providerId: 'p', at: '2026-11-24T12:00:00.000Z' };
    project(model, { position: 1, event: { ...base, type: 'NetLuidIndexAllocated', luid: { ifType: 6, netLuidIndex: 1 }, causationId: 'a1' } });
    project(model, { position: 2, event: { ...base, type: 'NetLuidIndexAllocated', luid: { ifType: 6, netLuidIndex: 2 }, causationId: 'a2' } });
    project(model, { position: 3, event: { ...base, type: 'NetLuidIndexFreed', luid: { ifType: 6, netLuidIndex: 1 }, causationId: 'f1' } });
    project(model, { position: 4, event: { type: 'BootEpochStarted', scope: 'host-n', epoch: 1, causationId: 'b1', at: base.at } });
    expect([...(model.scopes.get('host-n')?.luidIndexes.values() ?? [])].map((v) => v.luid.name)).toEqual(['ethernet_2']);
  });
});
