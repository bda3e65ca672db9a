import { decodeAgentMessage, eventProblem } from './decode';
import { decodeObjectReply, decodeObjectRequest } from './objects';

const request = {
  type: 'ObjectRequest',
  schemaVersion: 1,
  requestId: '0b6f2c0e-5e7a-4f55-8f60-0d3a2b9c1e11',
  scope: 'host-a',
  providerId: 'agent-linux',
  ifIndex: 2,
  luid: { ifType: 6, netLuidIndex: 1 },
  providerIfContext: 'linux:eth0:ifindex=2',
  operation: 'query',
  oid: { value: 0x00010283, name: 'OID_GEN_OPERATIONAL_STATUS' },
  deadline: '2026-12-05T12:00:05.000Z',
  replyTo: { topic: 'ifreg.object-replies', partition: 3, replica: 'replica-1' },
};

const reply = {
  type: 'ObjectReply',
  schemaVersion: 1,
  requestId: request.requestId,
  scope: 'host-a',
  providerId: 'agent-linux',
  providerIfContext: 'linux:eth0:ifindex=2',
  oid: 0x00010283,
  status: 'SUCCESS',
  value: 'up',
  replica: 'replica-1',
};

describe('object requests and replies', () => {
  it('read back what the schemas describe, from bytes, text or JSON', () => {
    expect(decodeObjectRequest(Buffer.from(JSON.stringify(request)))).toEqual({ ok: true, value: request });
    expect(decodeObjectReply(JSON.stringify(reply))).toEqual({ ok: true, value: reply });
    expect(decodeObjectReply(reply)).toEqual({ ok: true, value: reply });
  });

  it.each([
    ['a status NDIS does not have', { ...reply, status: 'MAYBE' }, 'status must be one of SUCCESS'],
    ['no ProviderIfContext', { ...reply, providerIfContext: undefined }, 'providerIfContext is required'],
    ['not JSON', '{"type":', 'not JSON'],
    ['too big', JSON.stringify({ ...reply, value: 'x'.repeat(30_000) }), 'bytes, more than'],
  ])('refuse a reply with %s, with a reason', (_what, raw, reason) => {
    expect(decodeObjectReply(raw)).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });

  it('refuses a request for an OID of 0', () => {
    expect(decodeObjectRequest({ ...request, oid: { value: 0 } })).toEqual({ ok: false, reason: expect.stringContaining('oid.value') });
  });
});

describe('the set-recording messages and events', () => {
  const set = {
    type: 'ObjectSetAnswered',
    schemaVersion: 1,
    messageId: 'objset:r-1:answer',
    scope: 'host-a',
    providerId: 'agent-linux',
    luid: { ifType: 6, netLuidIndex: 1 },
    ifIndex: 2,
    oid: { value: 0x00010289, name: 'OID_GEN_ALIAS' },
    value: 'uplink',
    requestId: 'r-1',
    caller: 'token:3f2a9c01',
    status: 'SUCCESS',
  };

  it('are agent messages the edge accepts', () => {
    expect(decodeAgentMessage(JSON.stringify(set))).toEqual({ kind: 'message', message: set });
    expect(decodeAgentMessage(JSON.stringify({ ...set, status: 'NOPE' }))).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('status must be one of') });
  });

  it('record events the read side accepts', () => {
    const { schemaVersion: _v, messageId, ...rest } = set;
    const event = { ...rest, type: 'InterfaceObjectSetAnswered', epoch: 0, causationId: messageId, at: '2026-12-05T12:00:00.000Z' };
    expect(eventProblem(event)).toBeUndefined();
    expect(eventProblem({ ...event, type: 'InterfaceObjectSetRequested', status: undefined })).toBeUndefined();
    expect(eventProblem({ ...event, caller: undefined })).toBe('caller is required');
  });
});
