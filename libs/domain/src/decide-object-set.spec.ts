import { decide } from './decide';
import type { ObjectSetAnswered, ObjectSetRequested } from './messages';
import { objectSetMessageIds } from './objects';
import { evolve, initialState, type RegistryState } from './state';

const AT = '2026-12-05T12:00:00.000Z';
const alias = { value: 0x00010289, name: 'OID_GEN_ALIAS' };

const requested = (requestId: string, fields: Partial<ObjectSetRequested> = {}): ObjectSetRequested => ({
  type: 'ObjectSetRequested',
  messageId: objectSetMessageIds(requestId).request,
  scope: 'host-a',
  providerId: 'agent-linux',
  luid: { ifType: 6, netLuidIndex: 1 },
  ifIndex: 2,
  oid: alias,
  value: 'uplink',
  requestId,
  caller: 'address:127.0.0.1',
  ...fields,
});

const answered = (requestId: string, fields: Partial<ObjectSetAnswered> = {}): ObjectSetAnswered => ({
  ...requested(requestId),
  type: 'ObjectSetAnswered',
  messageId: objectSetMessageIds(requestId).answer,
  status: 'SUCCESS',
  ...fields,
});

/** decide, then evolve with what it decided, as the registrar does. */
function run(state: RegistryState, message: ObjectSetRequested | ObjectSetAnswered) {
  const decision = decide(state, { message, receivedAt: AT });
  for (const event of decision.events) evolve(state, event);
  return decision;
}

describe('a set of an interface object', () => {
  it('records the request with who asked for what, then the answer with the provider’s status', () => {
    const state = initialState('host-a');
    expect(run(state, requested('r-1')).events).toEqual([
      expect.objectContaining({ type: 'InterfaceObjectSetRequested', oid: alias, value: 'uplink', requestId: 'r-1', caller: 'address:127.0.0.1', causationId: 'objset:r-1', at: AT }),
    ]);
    expect(run(state, answered('r-1', { status: 'ACCESS_DENIED', reason: 'RTNETLINK answers: Operation not permitted' })).events).toEqual([
      expect.objectContaining({ type: 'InterfaceObjectSetAnswered', status: 'ACCESS_DENIED', reason: 'RTNETLINK answers: Operation not permitted', requestId: 'r-1' }),
    ]);
  });

  it('answers a retried request with the recorded answer and records nothing again', () => {
    const state = initialState('host-a');
    run(state, requested('r-1'));
    const answer = run(state, answered('r-1')).outcome;
    const retry = run(state, requested('r-1'));
    expect(retry.events).toEqual([]);
    expect(retry.outcome).toBe(answer);
    expect(run(state, answered('r-1')).events).toEqual([]);
  });

  it('answers a retried request that has no answer yet with the request', () => {
    const state = initialState('host-a');
    const first = run(state, requested('r-2')).outcome;
    expect(run(state, requested('r-2'))).toEqual({ events: [], outcome: first });
  });

  it.each([
    ['a message id not derived from the request id', requested('r-3', { messageId: 'other' }), 'messageId of ObjectSetRequested must be objset:r-3'],
    ['a value the OID cannot take', requested('r-4', { oid: { value: 0x00010288, name: 'OID_GEN_ADMIN_STATUS' }, value: 'sideways' }), 'must be one of up, down, testing'],
    ['a name that is not the OID’s', requested('r-5', { oid: { value: 0x00010288, name: 'OID_GEN_ALIAS' } }), 'is not the name of OID'],
  ])('refuses %s as INVALID_PARAMETER', (_what, message, reason) => {
    const decision = run(initialState('host-a'), message);
    expect(decision.outcome).toMatchObject({ type: 'RegistrationFailed', status: 'INVALID_PARAMETER', messageType: 'ObjectSetRequested', reason: expect.stringContaining(reason) });
  });
});
