import fc from 'fast-check';
import { decide } from './decide';
import type { RegistryEvent } from './events';
import type { RegistrarMessage } from './messages';
import { evolve, initialState, DEFAULT_OPTIONS, type RegistryState } from './state';

const SCOPE = 'host-a';
const AT = '2026-11-24T12:00:00.000Z';
let seq = 0;
const id = () => `m${++seq}`;
const request = (ifType: number, providerId = 'prov'): RegistrarMessage => ({ type: 'NetLuidIndexRequested', messageId: id(), scope: SCOPE, providerId, ifType });
const free = (ifType: number, netLuidIndex: number, providerId = 'prov'): RegistrarMessage => ({
  type: 'NetLuidIndexFreeRequested',
  messageId: id(),
  scope: SCOPE,
  providerId,
  luid: { ifType, netLuidIndex },
});
const boot = (): RegistrarMessage => ({ type: 'BootEpoch', messageId: id(), scope: SCOPE });

/** Decides and evolves; returns the outcome. */
function send(state: RegistryState, message: RegistrarMessage): RegistryEvent {
  const { events, outcome } = decide(state, { message, receivedAt: AT });
  for (const event of events) evolve(state, event);
  return outcome;
}

describe('NetLuidIndex allocation in a scope (NdisIfAllocateNetLuidIndex)', () => {
  it('hands out 1, 2, 3… per ifType, independently for each type', () => {
    const state = initialState(SCOPE);
    const got = [request(6), request(6), request(71), request(6)].map((m) => send(state, m));
    expect(got.map((e) => (e.type === 'NetLuidIndexAllocated' ? [e.luid.ifType, e.luid.netLuidIndex] : e.type))).toEqual([
      [6, 1],
      [6, 2],
      [71, 1],
      [6, 3],
    ]);
  });

  it('keeps allocations across a BootEpoch: the next request does not reuse a held index', () => {
    const state = initialState(SCOPE);
    send(state, request(6));
    send(state, boot());
    expect(send(state, request(6))).toMatchObject({ type: 'NetLuidIndexAllocated', luid: { ifType: 6, netLuidIndex: 2 }, epoch: 1 });
  });

  it('answers RESOURCES when every index of the type is held, and changes nothing', () => {
    const state = initialState(SCOPE, { ...DEFAULT_OPTIONS, maxNetLuidIndex: 2 });
    send(state, request(6));
    send(state, request(6));
    expect(send(state, request(6))).toMatchObject({ type: 'RegistrationFailed', status: 'RESOURCES', messageType: 'NetLuidIndexRequested' });
    expect(send(state, request(24))).toMatchObject({ type: 'NetLuidIndexAllocated', luid: { ifType: 24, netLuidIndex: 1 } });
  });

  it('refuses an ifType outside 16 bits with INVALID_PARAMETER', () => {
    expect(send(initialState(SCOPE), request(65536))).toMatchObject({ type: 'RegistrationFailed', status: 'INVALID_PARAMETER', reason: expect.stringMatching(/^ifType /) });
  });
});

describe('freeing a NetLuidIndex (NdisIfFreeNetLuidIndex)', () => {
  it('frees an index allocated for that type; the next-after-last policy hands out a new one first', () => {
    const state = initialState(SCOPE, { ...DEFAULT_OPTIONS, maxNetLuidIndex: 3 });
    send(state, request(6));
    send(state, request(6));
    expect(send(state, free(6, 1))).toMatchObject({ type: 'NetLuidIndexFreed', luid: { ifType: 6, netLuidIndex: 1 } });
    expect(send(state, request(6))).toMatchObject({ luid: { netLuidIndex: 3 } });
    expect(send(state, request(6))).toMatchObject({ luid: { netLuidIndex: 1 } });
  });

  it('fails with INVALID_PARAMETER for an index not allocated for that type', () => {
    const state = initialState(SCOPE);
    send(state, request(6));
    expect(send(state, free(71, 1))).toMatchObject({ status: 'INVALID_PARAMETER', reason: 'NetLuidIndex 1 is not allocated for ifType 71' });
    expect(send(state, free(6, 2))).toMatchObject({ status: 'INVALID_PARAMETER' });
  });

  it('fails with INVALID_PARAMETER when another provider holds it', () => {
    const state = initialState(SCOPE);
    send(state, request(6, 'a'));
    expect(send(state, free(6, 1, 'b'))).toMatchObject({ status: 'INVALID_PARAMETER', reason: 'ethernet_1 is held by a, not b' });
  });
});

describe('any sequence of requests, frees and BootEpochs', () => {
  it('never hands out an index another provider holds for that type, and never 0', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant<'req'>('req'), fc.constant<'boot'>('boot'), fc.integer({ min: 1, max: 6 })), { maxLength: 60 }),
        (steps) => {
          const state = initialState(SCOPE, { ...DEFAULT_OPTIONS, maxNetLuidIndex: 5 });
          const held = new Set<number>();
          for (const step of steps) {
            const outcome = send(state, step === 'req' ? request(6) : step === 'boot' ? boot() : free(6, step));
            if (outcome.type === 'NetLuidIndexAllocated') {
              expect(held.has(outcome.luid.netLuidIndex)).toBe(false);
              expect(outcome.luid.netLuidIndex).toBeGreaterThanOrEqual(1);
              held.add(outcome.luid.netLuidIndex);
            } else if (outcome.type === 'NetLuidIndexFreed') {
              held.delete(outcome.luid.netLuidIndex);
            } else if (outcome.type === 'RegistrationFailed' && outcome.status === 'RESOURCES') {
              expect(held.size).toBe(5);
            }
          }
        },
      ),
    );
  });
});
