import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeInfo, MAX_NET_LUID_INDEX, NIIF_HARDWARE_INTERFACE } from '@ifreg/domain';
import { readHostInterfaces, stableGuid, stableIndex, type HostInterface } from './read-host-interfaces';

const MACHINE = 'test-machine-0123456789abcdef';

interface FakeLink {
  readonly type: number;
  readonly flags: string;
  readonly ifindex: number;
  readonly mtu?: number;
  readonly address?: string;
  /** A `device` link, as a physical NIC has. */
  readonly device?: boolean;
  /** A `wireless` directory, as a Wi-Fi interface has. */
  readonly wireless?: boolean;
}

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ifreg-sysfs-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Lays out one interface the way /sys/class/net/<name>/ shows it (values with a trailing newline). */
function fakeLink(name: string, link: FakeLink): void {
  const dir = join(root, 'class-net', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'type'), `${link.type}\n`);
  writeFileSync(join(dir, 'flags'), `${link.flags}\n`);
  writeFileSync(join(dir, 'ifindex'), `${link.ifindex}\n`);
  writeFileSync(join(dir, 'mtu'), `${link.mtu ?? 1500}\n`);
  if (link.address !== undefined) writeFileSync(join(dir, 'address'), `${link.address}\n`);
  if (link.device) {
    const device = join(root, 'devices', 'pci0000:00', name);
    mkdirSync(device, { recursive: true });
    symlinkSync(device, join(dir, 'device'));
  }
  if (link.wireless) mkdirSync(join(dir, 'wireless'));
}

const sysRoot = (): string => join(root, 'class-net');
const byName = (all: readonly HostInterface[], name: string): HostInterface => {
  const found = all.find((i) => i.name === name);
  if (!found) throw new Error(`no interface ${name} in ${all.map((i) => i.name).join(', ')}`);
  return found;
};

/** A small host: loopback, a wired NIC, a Wi-Fi NIC, a tun device and a bridge. */
function fakeHost(): void {
  fakeLink('lo', { type: 772, flags: '0x9', ifindex: 1, mtu: 65536, address: '00:00:00:00:00:00' });
  fakeLink('eth0', { type: 1, flags: '0x1003', ifindex: 2, address: '02:42:ac:11:00:02', device: true });
  fakeLink('wlan0', { type: 1, flags: '0x1003', ifindex: 3, address: 'a4:c3:f0:12:34:56', device: true, wireless: true });
  fakeLink('tun0', { type: 65534, flags: '0x1091', ifindex: 5, mtu: 1420, address: '' });
  fakeLink('br0', { type: 1, flags: '0x1003', ifindex: 4, address: '6a:1f:00:aa:bb:cc' });
}

describe('a loopback interface (ARPHRD_LOOPBACK, IFF_LOOPBACK)', () => {
  it('is softwareLoopback (24) with NetLuidIndex 0, loopback access and the loopback medium', async () => {
    // given
    fakeHost();
    // when
    const lo = byName(await readHostInterfaces(sysRoot(), MACHINE), 'lo');
    // then
    expect(lo).toMatchObject({ name: 'lo', linuxIfIndex: 1, mtu: 65536, luid: { ifType: 24, netLuidIndex: 0 } });
    expect(lo.info).toMatchObject({ friendlyName: 'lo', accessType: 'loopback', mediaType: 17, flags: 0, connectorPresent: false });
  });

  it('has no physical address rather than an all-zero one', async () => {
    fakeHost();
    expect(byName(await readHostInterfaces(sysRoot(), MACHINE), 'lo').info.physAddress).toBe('');
  });
});

describe('an ethernet interface backed by a device', () => {
  it('is ethernetCsmacd (6), a hardware interface with a connector on 802.3 medium', async () => {
    fakeHost();
    const eth0 = byName(await readHostInterfaces(sysRoot(), MACHINE), 'eth0');
    expect(eth0.luid).toEqual({ ifType: 6, netLuidIndex: stableIndex('eth0') });
    expect(eth0.info).toMatchObject({
      friendlyName: 'eth0',
      flags: NIIF_HARDWARE_INTERFACE,
      connectorPresent: true,
      accessType: 'broadcast',
      mediaType: 0,
      physicalMediumType: 14,
      physAddress: '02:42:ac:11:00:02',
      interfaceGuid: stableGuid(MACHINE, 'eth0'),
    });
  });
});

describe('an ethernet interface with no device (a bridge)', () => {
  it('is ethernet but neither hardware nor with a connector', async () => {
    fakeHost();
    const br0 = byName(await readHostInterfaces(sysRoot(), MACHINE), 'br0');
    expect(br0.luid.ifType).toBe(6);
    expect(br0.info).toMatchObject({ flags: 0, connectorPresent: false, physicalMediumType: 0 });
  });
});

describe('a wireless interface', () => {
  it('is ieee80211 (71) on the native 802.11 medium', async () => {
    fakeHost();
    const wlan0 = byName(await readHostInterfaces(sysRoot(), MACHINE), 'wlan0');
    expect(wlan0.luid.ifType).toBe(71);
    expect(wlan0.info).toMatchObject({ mediaType: 16, physicalMediumType: 9, flags: NIIF_HARDWARE_INTERFACE });
  });
});

describe('a tun device (ARPHRD_NONE, IFF_POINTOPOINT)', () => {
  it('is a tunnel (131) with point-to-point access and no physical address', async () => {
    fakeHost();
    const tun0 = byName(await readHostInterfaces(sysRoot(), MACHINE), 'tun0');
    expect(tun0.luid.ifType).toBe(131);
    expect(tun0.info).toMatchObject({ accessType: 'pointToPoint', physAddress: '', mediaType: 15 });
  });

  it('also reads without an address file', async () => {
    fakeLink('tun1', { type: 65534, flags: '0x10', ifindex: 9 });
    const [tun1] = await readHostInterfaces(sysRoot(), MACHINE);
    expect(tun1?.info.physAddress).toBe('');
  });
});

describe('a host with several interfaces', () => {
  it('lists them sorted by Linux ifindex, not by name', async () => {
    fakeHost();
    const all = await readHostInterfaces(sysRoot(), MACHINE);
    expect(all.map((i) => [i.linuxIfIndex, i.name])).toEqual([
      [1, 'lo'],
      [2, 'eth0'],
      [3, 'wlan0'],
      [4, 'br0'],
      [5, 'tun0'],
    ]);
  });

  it('gives every name the same GUID and NetLuidIndex on every read', async () => {
    fakeHost();
    const first = await readHostInterfaces(sysRoot(), MACHINE);
    const second = await readHostInterfaces(sysRoot(), MACHINE);
    expect(second.map((i) => [i.luid, i.info.interfaceGuid])).toEqual(first.map((i) => [i.luid, i.info.interfaceGuid]));
    const indexes = first.filter((i) => i.luid.ifType !== 24).map((i) => i.luid.netLuidIndex);
    expect(new Set(indexes).size).toBe(indexes.length);
    expect(indexes.every((n) => n >= 1 && n <= MAX_NET_LUID_INDEX)).toBe(true);
  });

  it('gives the same name another GUID on another machine, and the same NetLuidIndex', async () => {
    fakeHost();
    const here = byName(await readHostInterfaces(sysRoot(), MACHINE), 'eth0');
    const there = byName(await readHostInterfaces(sysRoot(), 'another-machine'), 'eth0');
    expect(there.info.interfaceGuid).not.toBe(here.info.interfaceGuid);
    expect(there.luid).toEqual(here.luid);
  });

  it('produces information the domain accepts for every interface', async () => {
    fakeHost();
    for (const link of await readHostInterfaces(sysRoot(), MACHINE)) expect(completeInfo(link.info)).toMatchObject({ ok: true });
  });
});

describe('a file beside the interface directories (bonding_masters, present once the bonding module is loaded)', () => {
  it('is not taken for an interface', async () => {
    fakeHost();
    writeFileSync(join(sysRoot(), 'bonding_masters'), '\n');
    const all = await readHostInterfaces(sysRoot(), MACHINE);
    expect(all.map((i) => i.name)).toEqual(['lo', 'eth0', 'wlan0', 'br0', 'tun0']);
  });
});

// This machine's own /sys/class/net: absent outside Linux (or in a sandbox without sysfs),
// where these tests cannot mean anything and are skipped; the fake-tree tests above still run.
const hasSysfs = existsSync('/sys/class/net/lo');
const describeWithSysfs = hasSysfs ? describe : describe.skip;

describeWithSysfs('the real /sys/class/net of this machine', () => {
  it('has lo as softwareLoopback, and every interface passes the domain checks', async () => {
    const all = await readHostInterfaces();
    expect(byName(all, 'lo').luid).toEqual({ ifType: 24, netLuidIndex: 0 });
    for (const link of all) {
      const checked = completeInfo(link.info);
      expect({ name: link.name, ok: checked.ok, reason: checked.ok ? undefined : checked.reason }).toEqual({ name: link.name, ok: true, reason: undefined });
    }
  });
});
