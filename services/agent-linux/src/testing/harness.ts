import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceProcess, serviceMain, type Cleanup } from '@ifreg/testing';

/*
 * Test support for agent-linux's integration specs: the real services are spawned from
 * their build (a service may not import another), a fake /sys/class/net is laid out in a
 * temporary directory, and everything opened is closed after each test.
 */

export { Cleanup, ServiceProcess, buildWorkspace, freePort, tempDir, ROOT as root } from '@ifreg/testing';
/** Polls a probe until its value satisfies a predicate (@ifreg/testing's waitForValue). */
export { waitForValue as waitFor } from '@ifreg/testing';

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
  const service = ServiceProcess.spawn(cleanup, 'all-in-one', serviceMain('all-in-one'), {
    env: { IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: join(dir, `all-in-one-${Date.now()}.db`), IFREG_REGISTER_HOST: 'false', IFREG_LOG_LEVEL: 'info', ...env },
    command,
  });
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
