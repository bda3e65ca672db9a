import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config';
import { startAgentLinux } from './start';
import { Cleanup, buildWorkspace, getJson, listInterfaces, root, startAllInOne, tempDir, waitFor, type ListedInterface } from './testing/harness';

/*
 * The Linux agent answering interface objects about real interfaces: a veth pair whose ends
 * are in two network namespaces this test makes (v0 in the first, read by the agent through
 * that namespace's sysfs; v1 in the second), set down and up through OID_GEN_ADMIN_STATUS,
 * given an alias through OID_GEN_ALIAS, and counters read before and after pings cross the
 * pair (link-local addresses inside the two namespaces only). The agent runs here and sets
 * with `ip -n <namespace>`; the registry is the built all-in-one; the CLI is the built one.
 */

const tag = randomUUID().slice(0, 8);
const [ns1, ns2] = [`ifreg-obj-${tag}`, `ifreg-obj2-${tag}`];
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function createNamespaces(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  try {
    ip('netns', 'add', ns1);
    ip('netns', 'add', ns2);
    ip('-n', ns1, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', ns2);
    ip('-n', ns1, 'addr', 'add', '169.254.77.1/30', 'dev', 'v0');
    ip('-n', ns2, 'addr', 'add', '169.254.77.2/30', 'dev', 'v1');
    ip('-n', ns1, 'link', 'set', 'v0', 'up');
    ip('-n', ns2, 'link', 'set', 'v1', 'up');
    return undefined;
  } catch (error) {
    return `cannot create network namespaces and a veth pair (${String((error as { stderr?: string }).stderr ?? (error as Error).message).trim()})`;
  }
}

const refusal = createNamespaces();
if (refusal) process.stderr.write(`\nobjects-netns.int.spec: ${refusal}; skipped\n`);
const describeNetns = refusal ? describe.skip : describe;
const cleanup = new Cleanup();

beforeAll(() => {
  if (!refusal) buildWorkspace();
}, 60_000);
afterEach(() => cleanup.run());
afterAll(() => {
  for (const ns of [ns1, ns2]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // not made
    }
  }
});

function mountSysfs(dir: string): string {
  const mountPoint = join(dir, 'sys');
  mkdirSync(mountPoint);
  execFileSync('nsenter', [`--net=/run/netns/${ns1}`, 'mount', '-t', 'sysfs', 'sysfs', mountPoint]);
  cleanup.add(mountPoint, (path) => {
    execFileSync('umount', [path]);
  });
  return join(mountPoint, 'class', 'net');
}

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}
const put = (url: string, value: unknown, requestId: string) =>
  call(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value, requestId }) });

/**
 * Five UDP datagrams from the first namespace to v1's address in the second (no ping binary
 * here): ARP and the datagrams go out v0, ARP replies and ICMP port-unreachables come back.
 */
function sendUdp(count: number): void {
  const script = `const s=require('node:dgram').createSocket('udp4');let n=0;const go=()=>s.send('ifreg-test',9,'169.254.77.2',()=>{if(++n<${count})setTimeout(go,50);else setTimeout(()=>s.close(),200)});go();`;
  execFileSync('ip', ['netns', 'exec', ns1, process.execPath, '-e', script], { timeout: 10_000 });
}

/** `node services/cli/dist/main.js …` against the registry. */
function ifreg(url: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [join(root, 'services/cli/dist/main.js'), '--url', url, ...args], { timeout: 20_000 }, (_error, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describeNetns('the Linux agent answering interface objects of a veth pair', () => {
  it('sets admin status down and up, sets an alias and reads it back, and counts the traffic that crossed the pair', async () => {
    // given: the registry, and the agent reading the first namespace with sets enabled
    const scope = `objects-${tag}`;
    const dir = tempDir(cleanup);
    const aio = await startAllInOne(cleanup, dir);
    const sysRoot = mountSysfs(dir);
    const env = {
      IFREG_HTTP_PORT: '0',
      IFREG_AGENT_SCOPE: scope,
      IFREG_URL: aio.url,
      IFREG_AGENT_STATE: join(dir, 'agent.json'),
      IFREG_SYSFS: sysRoot,
      IFREG_AGENT_NETNS: ns1,
      IFREG_AGENT_OBJECT_SETS: 'true',
      IFREG_AGENT_POLL_MS: '200',
      IFREG_LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'silent',
    };
    cleanup.add(await startAgentLinux(loadConfig(env)), (a) => a.stop());
    const list = await waitFor(() => listInterfaces(aio.url, scope), (l) => l.items.some((i) => i.info.friendlyName === 'v0'), 5000, 'v0 registered');
    const v0 = list.items.find((i) => i.info.friendlyName === 'v0') as ListedInterface;
    const object = (oid: string) => `${aio.url}/v1/scopes/${scope}/interfaces/${v0.ifIndex}/objects/${oid}`;
    const value = async (oid: string) => (await call(object(oid))).body.value;
    expect((await call(object('OID_GEN_OPERATIONAL_STATUS'))).body).toMatchObject({ status: 'SUCCESS', value: 'up' });
    expect(await value('OID_GEN_MEDIA_CONNECT_STATUS_EX')).toBe('connected');
    expect(await value('OID_GEN_LINK_SPEED_EX')).toEqual({ xmitLinkSpeed: 10_000_000_000, rcvLinkSpeed: 10_000_000_000 });
    expect(await value('OID_GEN_PROMISCUOUS_MODE')).toBe(false);

    // when: admin status down through the OID
    const down = await put(object('OID_GEN_ADMIN_STATUS'), 'down', `down-${tag}`);
    // then: the kernel has v0 down, and the agent says so
    expect(down).toMatchObject({ status: 200, body: { status: 'SUCCESS', value: 'down' } });
    expect(JSON.parse(ip('-n', ns1, '-j', 'link', 'show', 'v0'))[0].flags).not.toContain('UP');
    expect(await value('OID_GEN_OPERATIONAL_STATUS')).toBe('down');
    expect(await value('OID_GEN_ADMIN_STATUS')).toBe('down');

    // when: up again (as NET_IF_ADMIN_STATUS 1)
    expect(await put(object('0x00010288'), 1, `up-${tag}`)).toMatchObject({ status: 200, body: { status: 'SUCCESS', value: 'up' } });
    // then
    expect(JSON.parse(ip('-n', ns1, '-j', 'link', 'show', 'v0'))[0].flags).toContain('UP');
    await waitFor(() => value('OID_GEN_OPERATIONAL_STATUS'), (v) => v === 'up', 5000, 'v0 operationally up again');
    expect(await value('OID_GEN_LAST_CHANGE')).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));

    // when: an alias is set, through the CLI
    const set = await ifreg(aio.url, ['set', scope, String(v0.ifIndex), 'OID_GEN_ALIAS', 'uplink to the second namespace', '--request-id', `alias-${tag}`]);
    // then: the kernel has it, and so does a query
    expect(set).toMatchObject({ code: 0, stdout: expect.stringContaining('OID_GEN_ALIAS of ') });
    expect(readFileSync(join(sysRoot, 'v0', 'ifalias'), 'utf8').trim()).toBe('uplink to the second namespace');
    const got = await ifreg(aio.url, ['get', scope, 'v0', 'OID_GEN_ALIAS']);
    expect(got).toMatchObject({ code: 0, stdout: expect.stringContaining('uplink to the second namespace') });

    // when: traffic crosses the pair
    const before = (await call(object('OID_GEN_STATISTICS'))).body.value;
    sendUdp(5);
    const after = (await call(object('OID_GEN_STATISTICS'))).body.value;
    // then: the counters of both directions grew
    for (const counter of ['inOctets', 'inPackets', 'outOctets', 'outPackets']) expect(after[counter]).toBeGreaterThan(before[counter]);
    expect(after.outPackets - before.outPackets).toBeGreaterThanOrEqual(5);
    expect(await value('OID_GEN_BYTES_XMIT')).toBeGreaterThanOrEqual(after.outOctets);

    // and: an OID the agent does not answer, and the sets in v0's history
    expect((await call(object('OID_GEN_DISCONTINUITY_TIME'))).body).toMatchObject({ status: 'NOT_SUPPORTED' });
    const history = await waitFor(
      () => getJson<{ items: { type: string; event: any }[] }>(`${aio.url}/v1/scopes/${scope}/luids/${v0.luid.name}/history`),
      (h) => h.body.items.filter((i) => i.type === 'InterfaceObjectSetAnswered').length === 3,
      5000,
      'three recorded sets',
    );
    expect(history.body.items.filter((i) => i.type === 'InterfaceObjectSetAnswered').map((i) => [i.event.oid.name, i.event.value, i.event.status])).toEqual([
      ['OID_GEN_ADMIN_STATUS', 'down', 'SUCCESS'],
      ['OID_GEN_ADMIN_STATUS', 'up', 'SUCCESS'],
      ['OID_GEN_ALIAS', 'uplink to the second namespace', 'SUCCESS'],
    ]);
  }, 90_000);

  it('answers sets NOT_ACCEPTED while they are off, and changes nothing', async () => {
    const scope = `objects-off-${tag}`;
    const dir = tempDir(cleanup);
    const aio = await startAllInOne(cleanup, dir);
    const sysRoot = mountSysfs(dir);
    cleanup.add(
      await startAgentLinux(loadConfig({ IFREG_HTTP_PORT: '0', IFREG_AGENT_SCOPE: scope, IFREG_URL: aio.url, IFREG_AGENT_STATE: join(dir, 'agent.json'), IFREG_SYSFS: sysRoot, IFREG_AGENT_NETNS: ns1, IFREG_LOG_LEVEL: 'silent' })),
      (a) => a.stop(),
    );
    const list = await waitFor(() => listInterfaces(aio.url, scope), (l) => l.items.some((i) => i.info.friendlyName === 'v0'), 5000, 'v0 registered');
    const v0 = list.items.find((i) => i.info.friendlyName === 'v0') as ListedInterface;
    const answer = await put(`${aio.url}/v1/scopes/${scope}/interfaces/${v0.ifIndex}/objects/OID_GEN_ADMIN_STATUS`, 'down', `off-${tag}`);
    expect(answer).toMatchObject({ status: 200, body: { status: 'NOT_ACCEPTED', reason: expect.stringContaining('IFREG_AGENT_OBJECT_SETS=true') } });
    expect(JSON.parse(ip('-n', ns1, '-j', 'link', 'show', 'v0'))[0].flags).toContain('UP');
  }, 60_000);
});
