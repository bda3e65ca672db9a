import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decodeAgentMessage } from '@ifreg/contracts';
import { decide, evolve, initialState, type RegistryState } from '@ifreg/domain';
import type { Outcome } from '@ifreg/ports';
import { RegistrationError, RegistryRejectedError, RegistryTimeoutError, type RegistryClientError } from './errors';
import { Provider, type ProviderOptions } from './provider';
import type { RegistryClient, WireMessage } from './registry-client';
import { StateFileError } from './state-file';

/**
 * A RegistryClient answered by the registrar's own rules (decide/evolve of libs/domain),
 * after the edge check of libs/contracts: what a provider sends must be valid §2.9 JSON.
 * It records every message it was given and can be told to fail the next sends.
 */
class DeciderClient implements RegistryClient {
  readonly sent: WireMessage[] = [];
  readonly failures: RegistryClientError[] = [];
  private readonly state: RegistryState;
  private position = 0;

  constructor(scope: string, maxIfIndex = 100) {
    this.state = initialState(scope, { maxIfIndex, dedupeWindow: 1000 });
  }

  async connect(): Promise<void> {}
  async close(): Promise<void> {}

  async send(message: WireMessage): Promise<Outcome> {
    this.sent.push(message);
    const failure = this.failures.shift();
    if (failure) throw failure;
    const decoded = decodeAgentMessage(JSON.stringify(message));
    if (decoded.kind !== 'message') throw new Error(`the provider sent an invalid message: ${JSON.stringify(decoded)}`);
    const { events, outcome } = decide(this.state, { message: decoded.message, receivedAt: '2026-11-24T12:00:00.000Z' });
    for (const event of events) evolve(this.state, event);
    this.position += events.length;
    return { scope: this.state.scope, event: outcome, position: this.position };
  }

  sentOf(type: WireMessage['type']): WireMessage[] {
    return this.sent.filter((m) => m.type === type);
  }
}

const SCOPE = 'host-a';
let dir: string;
let stateFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-sdk-'));
  stateFile = join(dir, 'nested', 'state.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const provider = (client: RegistryClient, options: Partial<ProviderOptions> = {}): Provider =>
  new Provider({ providerId: 'agent-test', scope: SCOPE, client, stateFile, retryDelayMs: 1, now: () => new Date('2026-11-24T12:00:00.000Z'), ...options });

const fileState = (): Record<string, unknown> => JSON.parse(readFileSync(stateFile, 'utf8'));

describe('allocating a NET_LUID for a new key', () => {
  it('asks the registry once with a §2.9 NetLuidIndexRequested and keeps the answer under the key', async () => {
    // given
    const client = new DeciderClient(SCOPE);
    const p = provider(client);
    // when
    const luid = await p.allocateLuid(6, 'eth0');
    const again = await p.allocateLuid(6, 'eth0');
    // then
    expect(luid).toEqual({ ifType: 6, netLuidIndex: 1 });
    expect(again).toEqual(luid);
    expect(client.sent).toEqual([
      { type: 'NetLuidIndexRequested', schemaVersion: 1, messageId: expect.stringMatching(/^[0-9a-f-]{36}$/), scope: SCOPE, providerId: 'agent-test', ifType: 6 },
    ]);
    expect(fileState()).toEqual({ version: 1, scope: SCOPE, providerId: 'agent-test', luids: { eth0: { ifType: 6, netLuidIndex: 1 } }, pending: {} });
  });

  it('sends one request when two callers ask for the same key at once', async () => {
    const client = new DeciderClient(SCOPE);
    const p = provider(client);

    const [a, b] = await Promise.all([p.allocateLuid(6, 'eth0'), p.allocateLuid(6, 'eth0')]);

    expect(a).toEqual(b);
    expect(client.sentOf('NetLuidIndexRequested')).toHaveLength(1);
  });

  it('refuses a second ifType for a key that holds a LUID', async () => {
    const p = provider(new DeciderClient(SCOPE));
    await p.allocateLuid(6, 'eth0');

    await expect(p.allocateLuid(131, 'eth0')).rejects.toThrow(/holds ethernet_1 of ifType 6, not 131: free it first/);
  });

  it('leaves no temporary file beside the state file', async () => {
    const p = provider(new DeciderClient(SCOPE));
    await Promise.all([p.allocateLuid(6, 'eth0'), p.allocateLuid(6, 'eth1'), p.allocateLuid(24, 'lo')]);
    await p.flush();

    expect(readdirSync(join(dir, 'nested'))).toEqual(['state.json']);
    expect(Object.keys((fileState()['luids'] as object) ?? {}).sort()).toEqual(['eth0', 'eth1', 'lo']);
  });
});

describe('a provider restarted on the same state file', () => {
  it('gets the same LUID for the same key without asking the registry again', async () => {
    // given
    const client = new DeciderClient(SCOPE);
    const first = await provider(client).allocateLuid(6, 'eth0');
    // when: a new process, the same file
    const restarted = provider(client);
    const again = await restarted.allocateLuid(6, 'eth0');
    const other = await restarted.allocateLuid(6, 'eth1');
    // then
    expect(again).toEqual(first);
    expect(other).toEqual({ ifType: 6, netLuidIndex: 2 });
    expect(client.sentOf('NetLuidIndexRequested')).toHaveLength(2);
  });

  it('resends a request that got no answer before the restart, with the same id, and the registry allocates once', async () => {
    // given: the answer is lost (the message may or may not have been recorded)
    const client = new DeciderClient(SCOPE);
    client.failures.push(new RegistryTimeoutError('x', 10));
    await expect(provider(client, { retries: 0 }).allocateLuid(6, 'eth0')).rejects.toBeInstanceOf(RegistryTimeoutError);
    expect(fileState()['pending']).toEqual({ eth0: { type: 'NetLuidIndexRequested', messageId: client.sent[0]?.messageId, ifType: 6 } });
    // when
    const luid = await provider(client).allocateLuid(6, 'eth0');
    // then
    expect(client.sent.map((m) => m.messageId)).toEqual([client.sent[0]?.messageId, client.sent[0]?.messageId]);
    expect(luid).toEqual({ ifType: 6, netLuidIndex: 1 });
    expect(fileState()['pending']).toEqual({});
  });

  it('resending a request the registry did record gets the recorded allocation, not a second one', async () => {
    // given: recorded, but the process died before saving the answer
    const client = new DeciderClient(SCOPE);
    const messageId = 'c0ffee00-0000-4000-8000-000000000001';
    await client.send({ type: 'NetLuidIndexRequested', schemaVersion: 1, messageId, scope: SCOPE, providerId: 'agent-test', ifType: 6 });
    mkdirSync(dirname(stateFile), { recursive: true });
    writeFileSync(stateFile, JSON.stringify({ version: 1, scope: SCOPE, providerId: 'agent-test', luids: {}, pending: { eth0: { type: 'NetLuidIndexRequested', messageId, ifType: 6 } } }));
    // when
    const luid = await provider(client).allocateLuid(6, 'eth0');
    const next = await provider(client).allocateLuid(6, 'eth1');
    // then
    expect(luid).toEqual({ ifType: 6, netLuidIndex: 1 });
    expect(next).toEqual({ ifType: 6, netLuidIndex: 2 });
  });

  it('refuses a state file of another scope or provider instead of using its LUIDs', async () => {
    await provider(new DeciderClient(SCOPE)).allocateLuid(6, 'eth0');

    const other = new Provider({ providerId: 'agent-test', scope: 'host-b', client: new DeciderClient('host-b'), stateFile });

    await expect(other.allocateLuid(6, 'eth0')).rejects.toThrow(new StateFileError(stateFile, "belongs to provider 'agent-test' in scope 'host-a', not 'agent-test' in 'host-b'"));
  });

  it('refuses a damaged state file rather than starting empty', async () => {
    await provider(new DeciderClient(SCOPE)).allocateLuid(6, 'eth0');
    writeFileSync(stateFile, '{"version": 1, "luids": ');

    await expect(provider(new DeciderClient(SCOPE)).luidOf('eth0')).rejects.toThrow(/state\.json: not JSON/);
  });
});

describe('freeing a NET_LUID', () => {
  it('gives it back to the registry and forgets the key; the next allocation asks again', async () => {
    const client = new DeciderClient(SCOPE);
    const p = provider(client);
    await p.allocateLuid(6, 'eth0');

    await expect(p.freeLuid('eth0')).resolves.toBe(true);
    await expect(p.freeLuid('eth0')).resolves.toBe(false);

    expect(client.sentOf('NetLuidIndexFreeRequested')).toEqual([expect.objectContaining({ luid: { ifType: 6, netLuidIndex: 1 }, providerId: 'agent-test' })]);
    expect(await p.luidOf('eth0')).toBeUndefined();
    expect(await p.allocateLuid(6, 'eth0')).toEqual({ ifType: 6, netLuidIndex: 2 });
  });
});

describe('detecting an interface', () => {
  it('registers it with the LUID of its key and answers the ifIndex', async () => {
    // given
    const client = new DeciderClient(SCOPE);
    const p = provider(client);
    await p.allocateLuid(6, 'eth0');
    // when
    const registration = await p.detect({ key: 'eth0', info: { friendlyName: 'eth0', physAddress: '02:42:ac:11:00:02' }, providerIfContext: 'linux:eth0' });
    // then
    expect(registration).toEqual({ ifIndex: 1, luid: { ifType: 6, netLuidIndex: 1 }, position: 2 });
    expect(client.sentOf('InterfaceDetected')).toEqual([
      {
        type: 'InterfaceDetected',
        schemaVersion: 1,
        messageId: expect.any(String),
        scope: SCOPE,
        providerId: 'agent-test',
        luid: { ifType: 6, netLuidIndex: 1 },
        providerIfContext: 'linux:eth0',
        info: { friendlyName: 'eth0', physAddress: '02:42:ac:11:00:02' },
        detectedAt: '2026-11-24T12:00:00.000Z',
      },
    ]);
    expect((await p.known()).get('eth0')).toEqual({ luid: { ifType: 6, netLuidIndex: 1 }, registered: true });
  });

  it('rejects with the registry’s status and reason when it refuses', async () => {
    const p = provider(new DeciderClient(SCOPE, 1));
    await p.detect({ luid: { ifType: 6, netLuidIndex: 7 }, info: { friendlyName: 'a' } });

    const refusal = p.detect({ luid: { ifType: 6, netLuidIndex: 8 }, info: { friendlyName: 'b' } });

    await expect(refusal).rejects.toBeInstanceOf(RegistrationError);
    await expect(refusal).rejects.toMatchObject({ status: 'RESOURCES', reason: expect.stringContaining('no free interface index') });
  });

  it('needs a LUID for the key first', async () => {
    await expect(provider(new DeciderClient(SCOPE)).detect({ key: 'eth9', info: { friendlyName: 'eth9' } })).rejects.toThrow(/call allocateLuid first/);
  });

  it('retries a lost answer with the same message id, and gives up on a refusal at once', async () => {
    const client = new DeciderClient(SCOPE);
    const p = provider(client, { retries: 2 });
    client.failures.push(new RegistryTimeoutError('x', 10), new RegistryTimeoutError('x', 10));

    await expect(p.detect({ luid: { ifType: 6, netLuidIndex: 1 }, info: { friendlyName: 'a' } })).resolves.toMatchObject({ ifIndex: 1 });
    expect(new Set(client.sent.map((m) => m.messageId)).size).toBe(1);
    expect(client.sent).toHaveLength(3);

    client.failures.push(new RegistryRejectedError('missing or wrong bearer token', 401));
    await expect(p.detect({ luid: { ifType: 6, netLuidIndex: 2 }, info: { friendlyName: 'b' } })).rejects.toBeInstanceOf(RegistryRejectedError);
    expect(client.sent).toHaveLength(4);
  });
});

describe('removing an interface', () => {
  it('deregisters it and frees its index', async () => {
    const p = provider(new DeciderClient(SCOPE));
    await p.allocateLuid(6, 'eth0');
    await p.detect({ key: 'eth0', info: { friendlyName: 'eth0' } });

    await expect(p.remove({ key: 'eth0' })).resolves.toMatchObject({ ifIndex: 1, luid: { ifType: 6, netLuidIndex: 1 } });

    expect((await p.known()).get('eth0')?.registered).toBe(false);
  });

  it('rejects with INTERFACE_NOT_FOUND for an interface the registry does not have', async () => {
    const p = provider(new DeciderClient(SCOPE));

    await expect(p.remove({ luid: { ifType: 6, netLuidIndex: 5 } })).rejects.toMatchObject({ status: 'INTERFACE_NOT_FOUND' });
  });
});

describe('boot epochs', () => {
  it('start a new epoch, forget what was registered, and the boot id is remembered across restarts', async () => {
    // given
    const client = new DeciderClient(SCOPE);
    const p = provider(client);
    await p.allocateLuid(6, 'eth0');
    await p.detect({ key: 'eth0', info: { friendlyName: 'eth0' } });
    // when
    const epoch = await p.bootEpoch('boot-1');
    await p.rememberBootId('boot-1');
    // then
    expect(epoch).toMatchObject({ epoch: 1 });
    expect(client.sentOf('BootEpoch')).toEqual([
      { type: 'BootEpoch', schemaVersion: 1, messageId: expect.any(String), scope: SCOPE, bootId: 'boot-1', at: '2026-11-24T12:00:00.000Z' },
    ]);
    expect((await p.known()).get('eth0')).toEqual({ luid: { ifType: 6, netLuidIndex: 1 }, registered: false });
    expect(await provider(client).lastBootId()).toBe('boot-1');
  });

  it('announcing the same boot twice starts one epoch', async () => {
    const client = new DeciderClient(SCOPE);

    const first = await provider(client).bootEpoch('boot-1');
    const second = await provider(client).bootEpoch('boot-1');
    const next = await provider(client).bootEpoch('boot-2');

    expect([first.epoch, second.epoch, next.epoch]).toEqual([1, 1, 2]);
  });
});
