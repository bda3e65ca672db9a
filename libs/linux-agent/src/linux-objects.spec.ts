import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinuxObjects } from './linux-objects';

/** A fake /sys/class/net/<name> with what LinuxObjects reads. */
function link(root: string, name: string, files: Record<string, string>): void {
  const dir = join(root, name);
  mkdirSync(join(dir, 'statistics'), { recursive: true });
  const all: Record<string, string> = { ifindex: '7', flags: '0x1103', operstate: 'up', carrier: '1', carrier_changes: '2', speed: '10000', duplex: 'full', ifalias: '', mtu: '1500', ...files };
  for (const [file, text] of Object.entries(all)) writeFileSync(join(dir, file), `${text}\n`);
  for (const stat of ['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'multicast', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped']) {
    writeFileSync(join(dir, 'statistics', stat), `${files[`statistics/${stat}`] ?? '5'}\n`);
  }
}

const query = (oid: number, providerIfContext = 'linux:v0:ifindex=7') => ({ scope: 's', ifIndex: 1, luid: { ifType: 6, netLuidIndex: 1 }, providerIfContext, oid: { value: oid }, requestId: 'q' });

describe('the Linux agent’s object handlers on a sysfs', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ifreg-linux-objects-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('answer status, speed, duplex, promiscuous mode, alias and counters from sysfs', async () => {
    link(root, 'v0', { ifalias: 'uplink', 'statistics/rx_bytes': '1234' });
    const objects = new LinuxObjects({ sysRoot: root, allowSets: false });
    await expect(objects.queryObject(query(0x00010283))).resolves.toEqual({ status: 'SUCCESS', value: 'up' });
    await expect(objects.queryObject(query(0x00010288))).resolves.toEqual({ status: 'SUCCESS', value: 'up' });
    await expect(objects.queryObject(query(0x0001028a))).resolves.toEqual({ status: 'SUCCESS', value: 'connected' });
    await expect(objects.queryObject(query(0x0001028b))).resolves.toEqual({ status: 'SUCCESS', value: { xmitLinkSpeed: 10_000_000_000, rcvLinkSpeed: 10_000_000_000 } });
    await expect(objects.queryObject(query(0x0001028c))).resolves.toEqual({ status: 'SUCCESS', value: 'full' });
    await expect(objects.queryObject(query(0x00010280))).resolves.toEqual({ status: 'SUCCESS', value: true });
    await expect(objects.queryObject(query(0x00010289))).resolves.toEqual({ status: 'SUCCESS', value: 'uplink' });
    await expect(objects.queryObject(query(0x00020219))).resolves.toEqual({ status: 'SUCCESS', value: 1234 });
    await expect(objects.queryObject(query(0x00020106))).resolves.toMatchObject({ status: 'SUCCESS', value: { inOctets: 1234, outPackets: 5 } });
    await expect(objects.queryObject(query(0x0d010101))).resolves.toMatchObject({ status: 'NOT_SUPPORTED' });
  });

  it('tell the time of a change it saw, null before it saw one', async () => {
    link(root, 'v0', {});
    const objects = new LinuxObjects({ sysRoot: root, allowSets: false, now: () => new Date('2026-12-05T12:00:00.000Z') });
    await expect(objects.queryObject(query(0x00010281))).resolves.toEqual({ status: 'SUCCESS', value: null });
    link(root, 'v0', { operstate: 'down', carrier_changes: '3' });
    await objects.sample();
    await expect(objects.queryObject(query(0x00010281))).resolves.toEqual({ status: 'SUCCESS', value: '2026-12-05T12:00:00.000Z' });
  });

  it('answer INTERFACE_NOT_FOUND when the context’s interface is gone or replaced', async () => {
    link(root, 'v0', { ifindex: '9' });
    const objects = new LinuxObjects({ sysRoot: root, allowSets: false });
    await expect(objects.queryObject(query(0x00010283))).resolves.toMatchObject({ status: 'INTERFACE_NOT_FOUND', reason: expect.stringContaining('now Linux ifindex 9, not 7') });
    await expect(objects.queryObject(query(0x00010283, 'linux:gone:ifindex=3'))).resolves.toMatchObject({ status: 'INTERFACE_NOT_FOUND' });
    await expect(objects.queryObject(query(0x00010283, 'something else'))).resolves.toMatchObject({ status: 'INVALID_PARAMETER' });
  });

  it('answer a set NOT_ACCEPTED with the reason while sets are off', async () => {
    link(root, 'v0', {});
    const objects = new LinuxObjects({ sysRoot: root, allowSets: false, setsDisabledReason: 'sets are off: IFREG_X=true enables them' });
    await expect(objects.setObject({ ...query(0x00010289), value: 'x', setRequestId: 'r' })).resolves.toEqual({ status: 'NOT_ACCEPTED', reason: 'sets are off: IFREG_X=true enables them' });
    await expect(objects.setObject({ ...query(0x00010283), value: 'up', setRequestId: 'r' })).resolves.toMatchObject({ status: 'NOT_SUPPORTED' });
  });
});
