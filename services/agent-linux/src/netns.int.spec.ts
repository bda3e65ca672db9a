import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config';
import { startAgentLinux } from './start';
import {
  Cleanup, ServiceProcess, buildWorkspace, getJson, listInterfaces, namesOf, root, startAllInOne, tempDir, waitFor, type ListedInterface,
} from './testing/harness';

/*
 * Real interfaces (veth, bridge, tun, dummy) in a network namespace this test creates and
 * deletes. /sys/class/net shows the network namespace of whoever mounted sysfs, so:
 * - in-process: the namespace's sysfs is mounted on a temporary directory from inside it
 *   (`nsenter --net=… mount -t sysfs`), and the agent reads it there (IFREG_SYSFS) while
 *   it talks to the all-in-one on this host's loopback;
 * - as processes: the all-in-one and the built agent both run inside the namespace
 *   (`ip netns exec`), where 127.0.0.1 is the namespace's own loopback, and the test asks
 *   the all-in-one from inside too.
 * Without the right to create namespaces (CAP_NET_ADMIN, CAP_SYS_ADMIN) it says so and skips.
 */

const ns = `ifreg-test-${randomUUID().slice(0, 8)}`;
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (...args: string[]): string => ip('-n', ns, ...args);

function createNamespace(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  try {
    ip('netns', 'add', ns);
    inNs('link', 'set', 'lo', 'up');
    return undefined;
  } catch (error) {
    return `cannot create a network namespace (${String((error as { stderr?: string }).stderr ?? (error as Error).message).trim()})`;
  }
}

const refusal = createNamespace();
if (refusal) process.stderr.write(`\nnetns.int.spec: ${refusal}; the real-interface tests are skipped\n`);
const describeNetns = refusal ? describe.skip : describe;

const cleanup = new Cleanup();
/** Why a dummy interface could not be made here (the kernel module may be missing), if so. */
let dummyProblem: string | undefined;

beforeAll(() => {
  if (refusal) return;
  buildWorkspace();
  inNs('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  inNs('link', 'add', 'br0', 'type', 'bridge');
  inNs('tuntap', 'add', 'tun0', 'mode', 'tun');
  try {
    inNs('link', 'add', 'd0', 'type', 'dummy');
  } catch (error) {
    dummyProblem = String((error as { stderr?: string }).stderr ?? error).trim();
    process.stderr.write(`\nnetns.int.spec: no dummy interface on this kernel (${dummyProblem}); veth, bridge and tun only\n`);
  }
});
afterEach(() => cleanup.run());
afterAll(() => {
  if (!refusal) ip('netns', 'del', ns);
});

/** `ip -j link` of the namespace: name → { MAC, type }. */
function kernelLinks(): Map<string, { address: string; linkType: string }> {
  const links = JSON.parse(inNs('-j', 'link')) as { ifname: string; address?: string; link_type: string }[];
  return new Map(links.map((l) => [l.ifname, { address: l.address ?? '', linkType: l.link_type }]));
}

/** The namespace's /sys mounted on a directory of this (host) mount namespace; unmounted after the test. */
function mountNamespaceSysfs(dir: string): string {
  const mountPoint = join(dir, 'sys');
  mkdirSync(mountPoint);
  execFileSync('nsenter', [`--net=/run/netns/${ns}`, 'mount', '-t', 'sysfs', 'sysfs', mountPoint]);
  cleanup.add(mountPoint, (path) => {
    execFileSync('umount', [path]);
  });
  return join(mountPoint, 'class', 'net');
}

const byName = (items: readonly ListedInterface[], name: string): ListedInterface | undefined => items.find((i) => i.info.friendlyName === name);

describeNetns('the agent reading a network namespace with real interfaces', () => {
  it('registers them with their kernel addresses and types, follows additions, removals and a MAC change, and a restart keeps the LUIDs', async () => {
    // given
    const scope = `netns-${ns.slice(-8)}`;
    const dir = tempDir(cleanup);
    const aio = await startAllInOne(cleanup, dir);
    const sysRoot = mountNamespaceSysfs(dir);
    const env = {
      IFREG_HTTP_PORT: '0',
      IFREG_AGENT_SCOPE: scope,
      IFREG_URL: aio.url,
      IFREG_AGENT_STATE: join(dir, 'agent.json'),
      IFREG_SYSFS: sysRoot,
      IFREG_AGENT_POLL_MS: '200',
      IFREG_LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'silent',
    };
    const expected = ['br0', 'lo', 'tun0', 'v0', 'v1', ...(dummyProblem ? [] : ['d0'])].sort();
    // when
    const agent = cleanup.add(await startAgentLinux(loadConfig(env)), (a) => a.stop());
    // then
    const list = await waitFor(() => listInterfaces(aio.url, scope), (l) => l.items.length === expected.length, 5000, 'the namespace’s interfaces');
    expect(namesOf(list)).toEqual(expected);
    const kernel = kernelLinks();
    for (const name of ['v0', 'v1', 'br0', ...(dummyProblem ? [] : ['d0'])]) {
      expect(byName(list.items, name)).toMatchObject({ luid: { ifType: 6 }, info: { physAddress: kernel.get(name)?.address, accessType: 'broadcast' } });
    }
    expect(byName(list.items, 'lo')).toMatchObject({ luid: { ifType: 24 }, info: { accessType: 'loopback', mediaType: 17 } });
    expect(byName(list.items, 'tun0')).toMatchObject({ luid: { ifType: 131 }, info: { mediaType: 15, physAddress: '' } });

    // when: a veth pair is added
    inNs('link', 'add', 'v2', 'type', 'veth', 'peer', 'name', 'v3');
    const withPair = await waitFor(() => listInterfaces(aio.url, scope), (l) => namesOf(l).includes('v2') && namesOf(l).includes('v3'), 5000, 'v2 and v3');
    // then
    expect(byName(withPair.items, 'v2')?.info.physAddress).toBe(kernelLinks().get('v2')?.address);

    // when: v0 is deleted (its peer v1 goes with it)
    inNs('link', 'del', 'v0');
    // then
    await waitFor(() => listInterfaces(aio.url, scope), (l) => !namesOf(l).includes('v0') && !namesOf(l).includes('v1'), 5000, 'v0 and v1 gone');

    // when: v2 gets another MAC
    const v2 = byName(withPair.items, 'v2');
    inNs('link', 'set', 'v2', 'address', '02:00:00:00:00:02');
    // then: registered again, with the same LUID
    const changed = await waitFor(() => listInterfaces(aio.url, scope), (l) => byName(l.items, 'v2')?.info.physAddress === '02:00:00:00:00:02', 5000, 'v2’s new MAC');
    expect(byName(changed.items, 'v2')?.luid).toEqual(v2?.luid);

    // when: the in-process agent stops and the built one takes over on the same state file
    await agent.stop();
    const luidsBefore = (await getJson<{ items: unknown[] }>(`${aio.url}/v1/scopes/${scope}/luid-indexes`)).body.items.length;
    const built = cleanup.add(new ServiceProcess('agent-linux', join(root, 'services/agent-linux/dist/main.js'), { env: { ...env, IFREG_LOG_LEVEL: 'info' } }), (p) => p.stop().then(() => undefined));
    const started = await built.waitForLog('agent-linux started', 15_000);
    // then: same LUIDs, no new allocation, and SIGTERM ends it cleanly
    expect(started).toMatchObject({ scope, failed: 0, interfaces: changed.items.length });
    const after = await listInterfaces(aio.url, scope);
    expect(after.items.map((i) => [i.info.friendlyName, i.luid.name]).sort()).toEqual(changed.items.map((i) => [i.info.friendlyName, i.luid.name]).sort());
    expect((await getJson<{ items: unknown[] }>(`${aio.url}/v1/scopes/${scope}/luid-indexes`)).body.items).toHaveLength(luidsBefore);
    await expect(built.stop()).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);
});

/** GET from inside the namespace (its loopback is not this host's). */
function getInNs<T>(url: string): T {
  const script = `fetch(${JSON.stringify(url)}).then(r => r.text()).then(t => process.stdout.write(t), e => { console.error(String(e)); process.exit(1); })`;
  return JSON.parse(execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { encoding: 'utf8' })) as T;
}

describeNetns('the built all-in-one and agent, both inside the namespace', () => {
  it('registers the namespace’s interfaces as they come and go, and the agent stops on SIGTERM', async () => {
    // given
    const scope = `inside-${ns.slice(-8)}`;
    const dir = tempDir(cleanup);
    const inside = ['ip', 'netns', 'exec', ns];
    const aio = await startAllInOne(cleanup, dir, {}, inside);
    const list = (): { items: ListedInterface[] } => {
      try {
        return getInNs<{ items: ListedInterface[] }>(`${aio.url}/v1/scopes/${scope}/interfaces`);
      } catch {
        return { items: [] };
      }
    };
    // when
    const agent = cleanup.add(
      new ServiceProcess('agent-linux', join(root, 'services/agent-linux/dist/main.js'), { env: { IFREG_HTTP_PORT: '0', IFREG_AGENT_SCOPE: scope, IFREG_URL: aio.url, IFREG_AGENT_STATE: join(dir, 'inside.json'), IFREG_AGENT_POLL_MS: '200' }, command: inside }),
      (p) => p.stop().then(() => undefined),
    );
    await agent.waitForLog('agent-linux started', 15_000);
    // then: what the kernel shows in the namespace, nothing of the host
    const kernelNames = [...kernelLinks().keys()].sort();
    await waitFor(list, (l) => namesOf(l).join() === kernelNames.join(), 5000, `the namespace’s interfaces ${kernelNames.join()}`);
    // when
    inNs('link', 'add', 'v8', 'type', 'veth', 'peer', 'name', 'v9');
    await waitFor(list, (l) => namesOf(l).includes('v8') && namesOf(l).includes('v9'), 5000, 'v8 and v9');
    inNs('link', 'del', 'v8');
    await waitFor(list, (l) => !namesOf(l).includes('v8') && !namesOf(l).includes('v9'), 5000, 'v8 and v9 gone');
    // then: the agent logged each outcome (the registry may show it before the log line is read)
    const logged = (msg: string) => (): string[] => agent.logged(msg).map((e) => String(e['ifName'])).sort();
    await waitFor(logged('interface removed'), (names) => names.join() === 'v8,v9', 5000, 'the removals logged');
    expect(logged('interface registered')()).toEqual(expect.arrayContaining(['v8', 'v9']));
    await expect(agent.stop()).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);
});
