import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from './config';
import { startAgentLinux, type RunningAgentLinux } from './start';
import {
  Cleanup, FakeSysfs, buildWorkspace, freePort, getJson, listInterfaces, namesOf, startAllInOne, tempDir, waitFor, type AllInOne, type ListedInterface,
} from './testing/harness';

// The agent in this process, over HTTP, against the built all-in-one (spawned), reading a
// fake /sys/class/net in a temporary directory.

const cleanup = new Cleanup();
const SCOPE = 'agent-int';

beforeAll(() => buildWorkspace());
afterEach(() => cleanup.run());

interface Setup {
  readonly dir: string;
  readonly sysfs: FakeSysfs;
  readonly bootIdFile: string;
  readonly stateFile: string;
}

function setup(): Setup {
  const dir = tempDir(cleanup);
  const bootIdFile = join(dir, 'boot_id');
  writeFileSync(bootIdFile, 'boot-1\n');
  return { dir, sysfs: FakeSysfs.host(join(dir, 'sys')), bootIdFile, stateFile: join(dir, 'state', 'agent.json') };
}

async function startAgent(s: Setup, url: string, env: Record<string, string> = {}): Promise<RunningAgentLinux> {
  const config = loadConfig({
    IFREG_HTTP_PORT: '0',
    IFREG_AGENT_SCOPE: SCOPE,
    IFREG_URL: url,
    IFREG_AGENT_STATE: s.stateFile,
    IFREG_SYSFS: s.sysfs.classNet,
    IFREG_BOOT_ID_PATH: s.bootIdFile,
    IFREG_AGENT_POLL_MS: '100',
    IFREG_AGENT_TIMEOUT_MS: '5000',
    IFREG_LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'silent',
    ...env,
  });
  return cleanup.add(await startAgentLinux(config), (agent) => agent.stop());
}

const byName = (items: readonly ListedInterface[], name: string): ListedInterface | undefined => items.find((i) => i.info.friendlyName === name);
const luidCount = async (aio: AllInOne): Promise<number> =>
  (await getJson<{ items: unknown[] }>(`${aio.url}/v1/scopes/${SCOPE}/luid-indexes`)).body.items.length;

describe('the agent started on a host', () => {
  it('registers every interface with its LUID, type, medium, address and a stable GUID', async () => {
    // given
    const s = setup();
    const aio = await startAllInOne(cleanup, s.dir);
    // when
    const running = await startAgent(s, aio.url);
    // then
    expect(running.initial).toEqual({ registered: 3, removed: 0, failed: 0 });
    const list = await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => l.items.length === 3, 5000, 'three interfaces');
    expect(list.epoch).toBe(1);
    expect(byName(list.items, 'lo')).toMatchObject({
      luid: { ifType: 24, name: expect.stringMatching(/^loopback_\d+$/) },
      providerId: 'agent-linux',
      providerIfContext: 'linux:lo:ifindex=1',
      info: { accessType: 'loopback', mediaType: 17, physAddress: '' },
    });
    expect(byName(list.items, 'eth0')).toMatchObject({
      luid: { ifType: 6, name: expect.stringMatching(/^ethernet_\d+$/) },
      info: { accessType: 'broadcast', mediaType: 0, physAddress: '02:42:ac:11:00:02', interfaceGuid: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    expect(byName(list.items, 'tun0')).toMatchObject({ luid: { ifType: 131 }, info: { accessType: 'pointToPoint', mediaType: 15 } });
    expect(await luidCount(aio)).toBe(3);
    expect(new Set(list.items.map((i) => i.ifIndex)).size).toBe(3);
  });
});

describe('an agent that is running', () => {
  it('registers an interface that appears, removes one that vanishes, and re-registers one whose address changed', async () => {
    // given
    const s = setup();
    const aio = await startAllInOne(cleanup, s.dir);
    await startAgent(s, aio.url);
    await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => l.items.length === 3, 5000, 'three interfaces');
    // when: a veth appears
    s.sysfs.add('veth0', { type: 1, flags: '0x1002', ifindex: 7, address: '0a:00:00:00:00:07' });
    // then
    const withVeth = await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => namesOf(l).includes('veth0'), 5000, 'veth0 to appear');
    expect(byName(withVeth.items, 'veth0')).toMatchObject({ luid: { ifType: 6 }, info: { physAddress: '0a:00:00:00:00:07' } });
    // when: it vanishes
    s.sysfs.remove('veth0');
    // then
    const without = await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => !namesOf(l).includes('veth0'), 5000, 'veth0 to disappear');
    expect(namesOf(without)).toEqual(['eth0', 'lo', 'tun0']);
    // when: eth0 gets another MAC (NET_IF_INFORMATION is constant while an interface exists)
    const before = byName(without.items, 'eth0');
    s.sysfs.add('eth0', { type: 1, flags: '0x1003', ifindex: 2, address: '02:42:ac:11:00:99' });
    // then: the same LUID, registered again with the new address
    const changed = await waitFor(
      () => listInterfaces(aio.url, SCOPE),
      (l) => byName(l.items, 'eth0')?.info.physAddress === '02:42:ac:11:00:99',
      5000,
      'eth0 with its new address',
    );
    expect(byName(changed.items, 'eth0')?.luid).toEqual(before?.luid);
    expect(changed.items).toHaveLength(3);
  });

  it('skips an interface it cannot read without stopping, and registers it once it can', async () => {
    // given: a directory still without all its files, as while the kernel is creating it
    const s = setup();
    const aio = await startAllInOne(cleanup, s.dir);
    const running = await startAgent(s, aio.url);
    await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => l.items.length === 3, 5000, 'three interfaces');
    await running.agent.stop(); // looks driven by the test from here on
    s.sysfs.add('half0', { type: 1, flags: '0x1003', ifindex: 9, address: '0a:00:00:00:00:09' });
    rmSync(join(s.sysfs.classNet, 'half0', 'ifindex'));
    writeFileSync(join(s.sysfs.classNet, 'bonding_masters'), ''); // a plain file is not an interface
    // when
    const skipped = await running.agent.sync();
    // then
    expect(skipped).toEqual({ registered: 0, removed: 0, failed: 0 });
    expect([...running.agent.interfaces.keys()].sort()).toEqual(['eth0', 'lo', 'tun0']);
    // when: the file is there
    writeFileSync(join(s.sysfs.classNet, 'half0', 'ifindex'), '9\n');
    // then
    expect(await running.agent.sync()).toEqual({ registered: 1, removed: 0, failed: 0 });
    await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => namesOf(l).includes('half0'), 5000, 'half0');
  });

  it('treats an interface that vanishes while being read as gone', async () => {
    const s = setup();
    const aio = await startAllInOne(cleanup, s.dir);
    const running = await startAgent(s, aio.url);
    await running.agent.stop();
    // listed (a link, as in /sys/class/net) but its target is gone by the time it is read
    symlinkSync(join(s.dir, 'devices', 'virtual', 'net', 'gone0'), join(s.sysfs.classNet, 'gone0'));

    const report = await running.agent.sync();

    expect(report).toEqual({ registered: 0, removed: 0, failed: 0 });
    expect([...running.agent.interfaces.keys()].sort()).toEqual(['eth0', 'lo', 'tun0']);
  });
});

describe('an agent restarted in the same boot', () => {
  it('registers the same interfaces with the same LUIDs and indexes, without asking for new LUIDs', async () => {
    // given
    const s = setup();
    const aio = await startAllInOne(cleanup, s.dir);
    const first = await startAgent(s, aio.url);
    const before = await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => l.items.length === 3, 5000, 'three interfaces');
    await first.stop();
    const luidsBefore = await luidCount(aio);
    // when
    await startAgent(s, aio.url);
    // then: nothing changed, so there is nothing to wait for; the registry answered each re-detection
    const after = await listInterfaces(aio.url, SCOPE);
    expect(after.epoch).toBe(before.epoch);
    expect(after.items.map((i) => [i.info.friendlyName, i.luid.name, i.ifIndex])).toEqual(before.items.map((i) => [i.info.friendlyName, i.luid.name, i.ifIndex]));
    expect(await luidCount(aio)).toBe(luidsBefore);
    const failures = await getJson<{ items: unknown[] }>(`${aio.url}/v1/scopes/${SCOPE}/failures`);
    expect(failures.body.items).toEqual([]);
  });

  it('removes an interface that vanished while it was stopped', async () => {
    const s = setup();
    const aio = await startAllInOne(cleanup, s.dir);
    const first = await startAgent(s, aio.url);
    await first.stop();

    s.sysfs.remove('tun0');
    const second = await startAgent(s, aio.url);

    expect(second.initial).toMatchObject({ removed: 1 });
    expect(namesOf(await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => l.items.length === 2, 5000, 'two interfaces'))).toEqual(['eth0', 'lo']);
  });
});

describe('an agent restarted after the host rebooted', () => {
  it('announces a BootEpoch and registers the interfaces in the new epoch with the same LUIDs', async () => {
    // given
    const s = setup();
    const aio = await startAllInOne(cleanup, s.dir);
    const first = await startAgent(s, aio.url);
    const before = await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => l.items.length === 3, 5000, 'three interfaces');
    await first.stop();
    // when
    writeFileSync(s.bootIdFile, 'boot-2\n');
    await startAgent(s, aio.url);
    // then
    const after = await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => l.epoch === 2 && l.items.length === 3, 5000, 'epoch 2 with three interfaces');
    expect(after.items.map((i) => i.luid.name).sort()).toEqual(before.items.map((i) => i.luid.name).sort());
    expect(await luidCount(aio)).toBe(3);
  });
});

describe('an agent started while the registry is down', () => {
  it('starts anyway and registers the interfaces once the registry is up', async () => {
    // given
    const s = setup();
    const port = await freePort();
    // when
    const running = await startAgent(s, `http://127.0.0.1:${port}`, { IFREG_AGENT_TIMEOUT_MS: '500' });
    expect(running.initial.failed).toBeGreaterThan(0);
    const aio = await startAllInOne(cleanup, s.dir, { IFREG_HTTP_PORT: String(port) });
    // then
    const list = await waitFor(() => listInterfaces(aio.url, SCOPE), (l) => l.items.length === 3, 15_000, 'three interfaces');
    expect(list.epoch).toBe(1);
  });
});

describe('an agent whose state file is damaged', () => {
  it('refuses to start rather than allocate new LUIDs for interfaces that have some', async () => {
    const s = setup();
    mkdirSync(dirname(s.stateFile), { recursive: true });
    writeFileSync(s.stateFile, '{"version": 1, "luids": {');

    await expect(startAgent(s, `http://127.0.0.1:${await freePort()}`)).rejects.toThrow(/state file .*agent\.json: not JSON/);
  });
});
