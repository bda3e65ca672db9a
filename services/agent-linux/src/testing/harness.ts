import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/*
 * Test support for agent-linux's integration specs: the real services are spawned from
 * their build (a service may not import another), a fake /sys/class/net is laid out in a
 * temporary directory, and everything opened is closed after each test.
 */

export const root = join(__dirname, '..', '..', '..', '..');
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `node tools/build.mjs`: dist/ of every package, as `npm start` runs it (safe while built services run). */
export function buildWorkspace(): void {
  execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root, stdio: 'ignore' });
}

/** Polls until `predicate` holds; fails after `timeoutMs`, saying what it waited for and what it saw last. */
export async function waitFor<T>(probe: () => Promise<T> | T, predicate: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(value)?.slice(0, 2000)}`);
    await sleep(50);
  }
}

/** Everything a test opened, closed in reverse order after it (even when it failed). */
export class Cleanup {
  private readonly steps: (() => Promise<void> | void)[] = [];

  add<T>(thing: T, close: (thing: T) => Promise<void> | void): T {
    this.steps.push(() => close(thing));
    return thing;
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        process.stderr.write(`cleanup step failed: ${String(error)}\n`);
      }
    }
  }
}

export function tempDir(cleanup: Cleanup, prefix = 'ifreg-agent-linux-'): string {
  return cleanup.add(mkdtempSync(join(tmpdir(), prefix)), (dir) => rmSync(dir, { recursive: true, force: true }));
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

/** A spawned `node <script>`, its JSON log lines kept for waiting and for failure messages. */
export class ServiceProcess {
  private readonly lines: string[] = [];
  private readonly waiters: { msg: string; resolve: (entry: Record<string, unknown>) => void }[] = [];
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;

  constructor(script: string, env: Record<string, string>, command: readonly string[] = []) {
    const [bin = process.execPath, ...args] = command.length > 0 ? [...command, process.execPath] : [process.execPath];
    this.child = spawn(bin, [...args, join(root, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first log line with this msg (already written or still to come). */
  waitForLog(msg: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const seen = this.lines.map(parse).find((entry) => entry['msg'] === msg);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${msg}' log line within ${timeoutMs} ms; output:\n${this.tail()}`)), timeoutMs);
      this.waiters.push({ msg, resolve: (entry) => (clearTimeout(timer), resolve(entry)) });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before logging '${msg}'; output:\n${this.tail()}`));
      });
    });
  }

  logs(msg: string): Record<string, unknown>[] {
    return this.lines.map(parse).filter((entry) => entry['msg'] === msg);
  }

  tail(count = 40): string {
    return this.lines.slice(-count).join('\n');
  }

  /** Signals the process and resolves with its exit code; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private onLine(line: string): void {
    this.lines.push(line);
    const entry = parse(line);
    for (const waiter of this.waiters.filter((w) => w.msg === entry['msg'])) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(entry);
    }
  }
}

function parse(line: string): Record<string, unknown> {
  try {
    return line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export interface AllInOne {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly process: ServiceProcess;
}

/**
 * The built all-in-one (`node services/all-in-one/dist/main.js`) on a port of its own, with
 * a SQLite file in `dir` and without registering this host itself. `command` runs it
 * through another program (e.g. `ip netns exec <ns>`).
 */
export async function startAllInOne(cleanup: Cleanup, dir: string, env: Record<string, string> = {}, command: readonly string[] = []): Promise<AllInOne> {
  const service = cleanup.add(
    new ServiceProcess(
      'services/all-in-one/dist/main.js',
      { IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: join(dir, `all-in-one-${Date.now()}.db`), IFREG_REGISTER_HOST: 'false', IFREG_LOG_LEVEL: 'info', ...env },
      command,
    ),
    (p) => p.stop().then(() => undefined),
  );
  const ready = await service.waitForLog('ifreg is ready', 20_000);
  const url = String(ready['url']).replace(/\/v1\/.*$/, '');
  return { url, process: service };
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

export interface ListedInterface {
  readonly ifIndex: number;
  readonly luid: { readonly ifType: number; readonly netLuidIndex: number; readonly name: string };
  readonly providerId: string;
  readonly providerIfContext?: string;
  readonly info: Record<string, unknown> & { readonly friendlyName: string; readonly physAddress: string };
}

/** GET /v1/scopes/<scope>/interfaces; an unknown scope is an empty list. */
export async function listInterfaces(url: string, scope: string): Promise<{ epoch: number; items: ListedInterface[] }> {
  const { status, body } = await getJson<{ epoch: number; items: ListedInterface[] }>(`${url}/v1/scopes/${scope}/interfaces`);
  return status === 404 ? { epoch: 0, items: [] } : body;
}

export const namesOf = (list: { items: readonly ListedInterface[] }): string[] => list.items.map((i) => i.info.friendlyName).sort();

export interface FakeLink {
  readonly type: number;
  readonly flags: string;
  readonly ifindex: number;
  readonly mtu?: number;
  readonly address?: string;
}

/** A /sys/class/net laid out in a temporary directory, as the kernel shows it. */
export class FakeSysfs {
  readonly classNet: string;

  constructor(readonly dir: string) {
    this.classNet = join(dir, 'class', 'net');
    mkdirSync(this.classNet, { recursive: true });
  }

  add(name: string, link: FakeLink): void {
    const staging = join(this.dir, `.${name}`);
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'type'), `${link.type}\n`);
    writeFileSync(join(staging, 'flags'), `${link.flags}\n`);
    writeFileSync(join(staging, 'ifindex'), `${link.ifindex}\n`);
    writeFileSync(join(staging, 'mtu'), `${link.mtu ?? 1500}\n`);
    if (link.address !== undefined) writeFileSync(join(staging, 'address'), `${link.address}\n`);
    rmSync(join(this.classNet, name), { recursive: true, force: true });
    // Appears whole, as a kernel interface does.
    execFileSync('mv', ['-T', staging, join(this.classNet, name)]);
  }

  remove(name: string): void {
    rmSync(join(this.classNet, name), { recursive: true, force: true });
  }

  /** Loopback, a NIC and a tun device. */
  static host(dir: string): FakeSysfs {
    const sysfs = new FakeSysfs(dir);
    sysfs.add('lo', { type: 772, flags: '0x9', ifindex: 1, mtu: 65536, address: '00:00:00:00:00:00' });
    sysfs.add('eth0', { type: 1, flags: '0x1003', ifindex: 2, address: '02:42:ac:11:00:02' });
    sysfs.add('tun0', { type: 65534, flags: '0x1091', ifindex: 3, mtu: 1420, address: '' });
    return sysfs;
  }
}
