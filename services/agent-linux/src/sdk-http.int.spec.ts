import { join } from 'node:path';
import { HttpRegistryClient, Provider, RegistrationError, RegistryRejectedError } from '@ifreg/agent-sdk';
import { Cleanup, buildWorkspace, getJson, listInterfaces, startAllInOne, tempDir, waitFor, type AllInOne } from './testing/harness';

// The SDK's HttpRegistryClient and Provider against the real all-in-one (spawned from its build).

const cleanup = new Cleanup();
const SCOPE = 'sdk-http';
let aio: AllInOne;
let dir: string;

beforeAll(async () => {
  buildWorkspace();
  dir = tempDir(cleanup);
  aio = await startAllInOne(cleanup, dir);
});
afterAll(() => cleanup.run());

const provider = (stateFile: string, token?: string, url = aio.url): Provider =>
  new Provider({ providerId: 'sdk-test', scope: SCOPE, client: new HttpRegistryClient({ url, ...(token ? { token } : {}) }), stateFile, timeoutMs: 5000 });

const luidIndexes = async (): Promise<{ luid: { netLuidIndex: number } }[]> =>
  (await getJson<{ items: { luid: { netLuidIndex: number } }[] }>(`${aio.url}/v1/scopes/${SCOPE}/luid-indexes`)).body.items;

describe('a provider over HTTP', () => {
  it('allocates a LUID, registers, deregisters and frees, each answered with its outcome', async () => {
    // given
    const p = provider(join(dir, 'a.json'));
    // when
    const luid = await p.allocateLuid(6, 'eth0');
    const registered = await p.detect({ key: 'eth0', info: { friendlyName: 'eth0', physAddress: '02:00:00:00:00:01' }, providerIfContext: 'ctx' });
    // then
    expect(registered).toMatchObject({ luid, ifIndex: expect.any(Number), position: expect.any(Number) });
    const list = await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => l.items.length === 1, 5000, 'the interface');
    expect(list.items[0]).toMatchObject({ ifIndex: registered.ifIndex, luid: { ...luid }, providerId: 'sdk-test', info: { physAddress: '02:00:00:00:00:01' } });
    // when
    const removed = await p.remove({ key: 'eth0' });
    // then
    expect(removed.ifIndex).toBe(registered.ifIndex);
    await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => l.items.length === 0, 5000, 'no interface');
    await expect(p.freeLuid('eth0')).resolves.toBe(true);
    expect((await luidIndexes()).map((i) => i.luid.netLuidIndex)).not.toContain(luid.netLuidIndex);
  });

  it('keeps the LUID in its state file: a restarted provider gets it without a new allocation', async () => {
    const stateFile = join(dir, 'restart.json');
    const first = await provider(stateFile).allocateLuid(131, 'tun0');
    const held = (await luidIndexes()).length;

    const again = await provider(stateFile).allocateLuid(131, 'tun0');

    expect(again).toEqual(first);
    expect(await luidIndexes()).toHaveLength(held);
  });

  it('rejects with the recorded status and reason when the service refuses the detection (400 with the outcome)', async () => {
    const p = provider(join(dir, 'b.json'));

    const refusal = p.detect({ luid: { ifType: 6, netLuidIndex: 77 }, info: { friendlyName: 'x', mediaType: 99 } });

    await expect(refusal).rejects.toBeInstanceOf(RegistrationError);
    await expect(refusal).rejects.toMatchObject({ status: 'INVALID_PARAMETER', reason: 'info.mediaType must be <= 19' });
    const failures = await waitFor(
      () => getJson<{ items: { reason: string }[] }>(`${aio.url}/v1/scopes/${SCOPE}/failures`),
      (f) => f.body.items?.some((i) => i.reason === 'info.mediaType must be <= 19') === true,
      5000,
      'the failure on record',
    );
    expect(failures.status).toBe(200);
  });

  it('rejects with RegistryRejectedError when nothing could be recorded (400 without outcome)', async () => {
    const client = new HttpRegistryClient({ url: aio.url });

    const sending = client.send({ type: 'BootEpoch', schemaVersion: 1, messageId: 'm-bad-scope', scope: 'not a scope!' });

    await expect(sending).rejects.toBeInstanceOf(RegistryRejectedError);
    await expect(sending).rejects.toMatchObject({ httpStatus: 400, reason: expect.stringContaining('scope must be') });
  });
});

describe('a service with a token', () => {
  it('refuses a provider without it and serves one with it', async () => {
    const token = 'agent-token-0123456789abcdef';
    const secured = await startAllInOne(cleanup, dir, { IFREG_TOKEN: token, IFREG_HTTP_HOST: '127.0.0.1' });

    await expect(provider(join(dir, 'c.json'), undefined, secured.url).allocateLuid(6, 'eth0')).rejects.toMatchObject({ name: 'RegistryRejectedError', httpStatus: 401 });
    await expect(provider(join(dir, 'c.json'), 'wrong-token-0123456789', secured.url).allocateLuid(6, 'eth0')).rejects.toMatchObject({ httpStatus: 401 });
    await expect(provider(join(dir, 'c.json'), token, secured.url).allocateLuid(6, 'eth0')).resolves.toEqual({ ifType: 6, netLuidIndex: expect.any(Number) });
  });
});
