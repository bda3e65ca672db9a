import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, serviceMain, startService, type StartedService } from '@ifreg/testing';

// The built CLI as a real process against the built all-in-one service (`npm start`), both
// started here: `node services/cli/dist/main.js …` exactly as `npm run ifreg -- …` runs it.
const root = join(__dirname, '..', '..', '..');
const cliMain = join(root, 'services', 'cli', 'dist', 'main.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let service: StartedService | undefined;
let dir: string;
let url: string;

/** Runs `ifreg <args>` against the service; never throws for a non-zero exit. */
function ifreg(args: readonly string[], options: { url?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, IFREG_URL: options.url ?? url, IFREG_TOKEN: '' };
    const child = execFile(process.execPath, [cliMain, ...args], { env, timeout: options.timeoutMs ?? 20_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`ifreg ${args.join(' ')} did not finish: ${error.message}\n${stderr}`));
      else resolve({ code: child.exitCode, stdout, stderr });
    });
  });
}

const json = <T>(run: Run): T => {
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
};

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root });
  dir = mkdtempSync(join(tmpdir(), 'ifreg-cli-int-'));
  service = await startService(serviceMain('all-in-one'), {
    env: { IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: join(dir, 'ifreg.db'), IFREG_REGISTER_HOST: 'false' },
    ready: 'ifreg is ready',
    timeoutMs: 15_000,
  });
  url = service.url;
}, 60_000);

afterAll(async () => {
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ifreg detect, then ifreg list', () => {
  it('prints the ifIndex, then a table with the interface', async () => {
    const detect = await ifreg(['detect', 'cli-a', '--type', '6', '--index', '32768', '--name', 'eth0', '--mac', '02:42:ac:11:00:02']);
    expect(detect).toEqual({ code: 0, stdout: 'registered eth0 (ethernet_32768, 0x0006008000000000) in scope cli-a as ifIndex 1\n', stderr: '' });

    const list = await ifreg(['list', 'cli-a']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^scope cli-a, epoch 0, position \d+: 1 interface$/);
    expect(lines[1]).toMatch(/^Idx\s+Name\s+LUID\s+Type\s+MAC address\s+Provider\s+Registered$/);
    expect(lines[3]).toMatch(/^\s+1\s+eth0\s+ethernet_32768\s+6\s+02:42:ac:11:00:02\s+cli\s+\d{4}-\d\d-\d\dT/);
    const listed = json<{ items: { ifIndex: number; luid: { value: string } }[] }>(await ifreg(['list', 'cli-a', '--json', '--type', '6']));
    expect(listed.items.map((i) => [i.ifIndex, i.luid.value])).toEqual([[1, '0x0006008000000000']]);
  });
});

describe('ifreg get', () => {
  it('finds the interface by ifIndex, by LUID value, by LUID name and by friendly name', async () => {
    await ifreg(['detect', 'cli-g', '--type', '6', '--index', '7', '--name', 'eth7']);
    const target = await ifreg(['detect', 'cli-g', '--type', '71', '--index', '9', '--name', 'wlan0', '--hardware']);
    expect(target.stdout).toContain('as ifIndex 2');
    const forms = ['2', '0x0047000009000000', 'wireless_9', 'wlan0'];
    const found = await Promise.all(forms.map(async (form) => json<{ ifIndex: number; info: { friendlyName: string } }>(await ifreg(['get', 'cli-g', form, '--json']))));
    expect(found.map((f) => [f.ifIndex, f.info.friendlyName])).toEqual(forms.map(() => [2, 'wlan0']));
    const human = await ifreg(['show', 'cli-g', 'wlan0']);
    expect(human.stdout).toMatch(/^ifIndex\s+2$/m);
    expect(human.stdout).toMatch(/^LUID\s+wireless_9 \(0x0047000009000000\)$/m);
    expect(human.stdout).toMatch(/^flags\s+0x1 hardware$/m);
    expect(await ifreg(['get', 'cli-g', '42'])).toEqual({ code: 1, stdout: '', stderr: 'ifreg: 404 InterfaceNotFound: ifIndex 42 is not registered in scope cli-g\n' });
  });

  it('converts between LUID and ifIndex', async () => {
    expect(await ifreg(['luid-to-index', 'cli-g', 'ethernet_7'])).toEqual({ code: 0, stdout: '1\n', stderr: '' });
    expect(await ifreg(['index-to-luid', 'cli-g', '1'])).toEqual({ code: 0, stdout: '0x0006000007000000 ethernet_7\n', stderr: '' });
  });
});

describe('an invalid detection', () => {
  it('exits 1 with the reason, and `ifreg failures` lists it', async () => {
    const detect = await ifreg(['detect', 'cli-f', '--type', '6', '--index', '1', '--name', 'bad0', '--mac', 'zz:zz:zz:zz:zz:zz']);
    expect(detect.code).toBe(1);
    expect(detect.stdout).toBe('');
    expect(detect.stderr).toMatch(/^ifreg: INVALID_PARAMETER: info\.physAddress must match pattern/);

    const failures = await ifreg(['failures', 'cli-f']);
    expect(failures.code).toBe(0);
    expect(failures.stdout).toMatch(/^scope cli-f, epoch 0: 1 recent failure$/m);
    expect(failures.stdout).toMatch(/INVALID_PARAMETER\s+InterfaceDetected\s+ethernet_1\s+info\.physAddress must match pattern/);
  });

  it('of a LUID already registered with other information exits 1 with INTERFACE_EXISTS', async () => {
    await ifreg(['detect', 'cli-f', '--type', '6', '--index', '2', '--name', 'eth2']);
    const again = await ifreg(['detect', 'cli-f', '--type', '6', '--index', '2', '--name', 'eth2-renamed']);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/^ifreg: INTERFACE_EXISTS: ethernet_2 is already registered as ifIndex 1/) });
  });
});

describe('ifreg luid allocate and free', () => {
  it('hand out a NetLuidIndex, list it, free it, and refuse to free it twice', async () => {
    const allocated = await ifreg(['luid', 'allocate', 'cli-l', '--type', '6']);
    expect(allocated.code).toBe(0);
    const index = /allocated NetLuidIndex (\d+) for ifType 6 to cli/.exec(allocated.stdout)?.[1];
    expect(index).toBeDefined();
    const held = json<{ items: { luid: { netLuidIndex: number }; providerId: string }[] }>(await ifreg(['luid', 'list', 'cli-l', '--json']));
    expect(held.items.map((i) => [i.luid.netLuidIndex, i.providerId])).toEqual([[Number(index), 'cli']]);

    expect(await ifreg(['luid', 'free', 'cli-l', '--type', '6', '--index', index!])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^freed ethernet_\d+ \(0x/) });
    const twice = await ifreg(['luid', 'free', 'cli-l', '--type', '6', '--index', index!]);
    expect(twice).toMatchObject({ code: 1, stderr: `ifreg: INVALID_PARAMETER: NetLuidIndex ${index} is not allocated for ifType 6\n` });
  });
});

describe('ifreg boot', () => {
  it('starts a new epoch and empties the scope’s list', async () => {
    await ifreg(['detect', 'cli-b', '--type', '6', '--index', '1', '--name', 'eth0']);
    await ifreg(['detect', 'cli-b', '--type', '6', '--index', '2', '--name', 'eth1']);
    expect(json<{ items: unknown[] }>(await ifreg(['list', 'cli-b', '--json'])).items).toHaveLength(2);

    expect(await ifreg(['boot', 'cli-b', '--boot-id', 'b-2'])).toEqual({ code: 0, stdout: 'scope cli-b is in epoch 1: its interface list starts empty\n', stderr: '' });

    expect(json<{ epoch: number; items: unknown[] }>(await ifreg(['list', 'cli-b', '--json']))).toMatchObject({ epoch: 1, items: [] });
    expect((await ifreg(['list', 'cli-b'])).stdout).toMatch(/^scope cli-b, epoch 1, position \d+: 0 interfaces\n$/);
  });
});

describe('ifreg watch --max-events 2', () => {
  it('prints the next two changes of the scope and exits 0', async () => {
    const { position } = json<{ position: number }>(await ifreg(['scopes', '--json']));
    const watching = ifreg(['watch', 'cli-w', '--from', String(position), '--max-events', '2']);
    await ifreg(['detect', 'cli-w', '--type', '6', '--index', '1', '--name', 'eth0']);
    await ifreg(['detect', 'cli-w', '--type', '6', '--index', '1', '--name', 'eth0-conflict']);
    await ifreg(['detect', 'cli-w', '--type', '6', '--index', '3', '--name', 'eth3']);
    const watched = await watching;
    expect(watched.code).toBe(0);
    expect(watched.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^\d+ {2}cli-w {2}registered {2}ifIndex 1 {2}eth0 {2}ethernet_1 {2}by cli$/),
      expect.stringMatching(/^\d+ {2}cli-w {2}failed {2}INTERFACE_EXISTS {2}InterfaceDetected: ethernet_1 is already registered/),
    ]);
  });
});

describe('ifreg rebuild', () => {
  it('rebuilds the read model from position 0 and says how many events it read', async () => {
    const { position } = json<{ position: number }>(await ifreg(['scopes', '--json']));
    const rebuilt = await ifreg(['rebuild']);
    expect(rebuilt).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(new RegExp(`^rebuilt ${position} events \\(\\d+ events/s\\), swapped in at \\d{4}-`)) });
    expect(json<{ running: boolean; position: number }>(await ifreg(['rebuild', '--json']))).toMatchObject({ running: false, position });
  });
});

describe('an ifreg that cannot be reached', () => {
  it('exits 1 with a one-line hint', async () => {
    // a port that was free a moment ago: nothing listens there
    const port = await freePort();
    const unreachable = `http://127.0.0.1:${port}`;
    expect(await ifreg(['scopes'], { url: unreachable })).toEqual({ code: 1, stdout: '', stderr: `ifreg: cannot reach ifreg at ${unreachable}: is it running? (npm start)\n` });
    expect(await ifreg(['--url', unreachable, 'detect', 'x', '--type', '6', '--index', '1', '--name', 'e'])).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot reach ifreg at') });
  });
});

describe('bad arguments', () => {
  it('are usage errors: exit 2 with commander’s message', async () => {
    const limit = await ifreg(['list', 'cli-a', '--limit', 'zero']);
    expect(limit).toMatchObject({ code: 2, stdout: '' });
    expect(limit.stderr).toContain("error: option '--limit <n>' argument 'zero' is invalid.");
    expect(await ifreg(['detect', 'cli-a', '--type', '6'])).toMatchObject({ code: 2, stderr: expect.stringContaining("error: required option '--index <netLuidIndex>' not specified") });
    expect(await ifreg(['lisst'])).toMatchObject({ code: 2, stderr: expect.stringContaining("error: unknown command 'lisst'") });
    expect(await ifreg(['list', 'not a scope'])).toMatchObject({ code: 2 });
    expect(await ifreg(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: ifreg [options] [command]') });
  });
});
