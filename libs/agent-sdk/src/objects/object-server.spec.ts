import { ObjectBroker, type ObjectRequestDraft } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import { BrokerObjectChannel } from './broker-channel';
import type { ObjectSet } from './object-handlers';
import { ObjectServer } from './object-server';

const log = createLogger({ name: 'object-server-spec', level: 'silent' });
const alias = { value: 0x00010289, name: 'OID_GEN_ALIAS' };
const request = (fields: Partial<ObjectRequestDraft> = {}): ObjectRequestDraft => ({
  scope: 'host-a',
  providerId: 'p1',
  ifIndex: 3,
  luid: { ifType: 6, netLuidIndex: 9 },
  providerIfContext: 'ctx-9',
  operation: 'query',
  oid: alias,
  ...fields,
});

describe('a provider serving its objects in-process', () => {
  let broker: ObjectBroker;
  let server: ObjectServer;
  const sets: ObjectSet[] = [];

  beforeEach(async () => {
    broker = new ObjectBroker({ log });
    sets.length = 0;
    server = new ObjectServer({
      scope: 'host-a',
      providerId: 'p1',
      channel: new BrokerObjectChannel(broker, 'host-a', 'p1'),
      log,
      handlers: {
        queryObject: (q) => (q.oid.value === alias.value ? { status: 'SUCCESS', value: `alias of ${q.providerIfContext}` } : { status: 'NOT_SUPPORTED', reason: 'no' }),
        setObject: async (s) => {
          sets.push(s);
          if (s.value === 'boom') throw new Error('disk on fire');
          return { status: 'SUCCESS', value: s.value };
        },
      },
    });
    await server.start();
  });
  afterEach(() => server.stop());

  it('gets its ProviderIfContext back with each query and answers with status and value', async () => {
    await expect(broker.request(request(), 1000)).resolves.toMatchObject({ status: 'SUCCESS', value: 'alias of ctx-9', providerIfContext: 'ctx-9', oid: alias.value });
    await expect(broker.request(request({ oid: { value: 0x0d010101 } }), 1000)).resolves.toMatchObject({ status: 'NOT_SUPPORTED', reason: 'no' });
  });

  it('applies a set retried with the same request id once, and answers the retry the same', async () => {
    const set = request({ operation: 'set', value: 'uplink', setRequestId: 'r-1', caller: 'address:127.0.0.1' });
    const first = await broker.request(set, 1000);
    const again = await broker.request(set, 1000);
    expect([first.status, again.status]).toEqual(['SUCCESS', 'SUCCESS']);
    expect(sets).toEqual([expect.objectContaining({ value: 'uplink', setRequestId: 'r-1', caller: 'address:127.0.0.1', providerIfContext: 'ctx-9' })]);
  });

  it('answers FAILURE with the reason when its handler throws', async () => {
    await expect(broker.request(request({ operation: 'set', value: 'boom', setRequestId: 'r-2' }), 1000)).resolves.toMatchObject({
      status: 'FAILURE',
      reason: expect.stringContaining('disk on fire'),
    });
  });
});
