import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the kernel says of one interface now (sysfs); a file it refuses to read (EINVAL: link down) is undefined. */
export interface LinkState {
  readonly linuxIfIndex: number;
  readonly flags: number;
  /** RFC 2863 operstate as Linux writes it: up, down, unknown, dormant, lowerlayerdown, notpresent, testing. */
  readonly operstate: string;
  readonly carrier: boolean | undefined;
  readonly carrierChanges: number | undefined;
  /** Mb/s; undefined when unknown. */
  readonly speedMbps: number | undefined;
  readonly duplex: string | undefined;
  readonly alias: string;
  readonly mtu: number;
  readonly statistics: LinkStatistics;
}

export interface LinkStatistics {
  readonly rxBytes: number;
  readonly rxPackets: number;
  readonly rxErrors: number;
  readonly rxDropped: number;
  readonly multicast: number;
  readonly txBytes: number;
  readonly txPackets: number;
  readonly txErrors: number;
  readonly txDropped: number;
}

export const IFF_UP = 0x1;
export const IFF_PROMISC = 0x100;

const text = async (path: string): Promise<string | undefined> => {
  try {
    return (await readFile(path, 'utf8')).replace(/\n$/, '');
  } catch (error) {
    // EINVAL: the kernel has no value now (carrier, speed and duplex of a link that is down).
    if ((error as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw error;
  }
};
const int = (value: string | undefined): number | undefined => (value === undefined || !/^-?\d+$/.test(value.trim()) ? undefined : Number(value.trim()));

/** Reads one interface's state under `sysRoot`; rejects (ENOENT) when it is gone. */
export async function readLinkState(sysRoot: string, name: string): Promise<LinkState> {
  const dir = join(sysRoot, name);
  const stat = (file: string) => text(join(dir, 'statistics', file)).then((v) => int(v) ?? 0);
  const [ifindex, flags, operstate, carrier, carrierChanges, speed, duplex, alias, mtu] = await Promise.all([
    text(join(dir, 'ifindex')),
    text(join(dir, 'flags')),
    text(join(dir, 'operstate')),
    text(join(dir, 'carrier')),
    text(join(dir, 'carrier_changes')).catch(() => undefined),
    text(join(dir, 'speed')),
    text(join(dir, 'duplex')),
    text(join(dir, 'ifalias')),
    text(join(dir, 'mtu')),
  ]);
  const [rxBytes, rxPackets, rxErrors, rxDropped, multicast, txBytes, txPackets, txErrors, txDropped] = await Promise.all(
    ['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'multicast', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped'].map(stat),
  );
  const mbps = int(speed);
  return {
    linuxIfIndex: int(ifindex) ?? 0,
    flags: Number(flags ?? 0),
    operstate: operstate ?? 'unknown',
    carrier: carrier === undefined ? undefined : carrier.trim() === '1',
    carrierChanges: int(carrierChanges),
    speedMbps: mbps === undefined || mbps < 0 ? undefined : mbps,
    duplex,
    alias: alias ?? '',
    mtu: int(mtu) ?? 0,
    statistics: { rxBytes: rxBytes ?? 0, rxPackets: rxPackets ?? 0, rxErrors: rxErrors ?? 0, rxDropped: rxDropped ?? 0, multicast: multicast ?? 0, txBytes: txBytes ?? 0, txPackets: txPackets ?? 0, txErrors: txErrors ?? 0, txDropped: txDropped ?? 0 },
  };
}

/** Why `ip` failed, in a few words, and whether it is a lack of rights or a missing device. */
export class LinkCommandError extends Error {
  constructor(readonly kind: 'denied' | 'not-found' | 'no-ip' | 'failed', message: string) {
    super(message);
    this.name = 'LinkCommandError';
  }
}

/**
 * Changes a link with iproute2's `ip` (Debian's), e.g. `['link', 'set', 'dev', 'v0', 'down']`.
 * `ipCommand` runs it elsewhere, e.g. `['ip', '-n', 'ns1']` for a network namespace.
 */
export function runIp(args: readonly string[], ipCommand: readonly string[] = ['ip'], timeoutMs = 5000): Promise<void> {
  const [bin = 'ip', ...prefix] = ipCommand;
  return new Promise((resolve, reject) => {
    execFile(bin, [...prefix, ...args], { timeout: timeoutMs, encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const said = String(stderr || error.message).trim().split('\n')[0] ?? '';
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new LinkCommandError('no-ip', `${bin} is not installed (iproute2)`));
      if (/Operation not permitted|Permission denied/i.test(said)) return reject(new LinkCommandError('denied', said));
      if (/Cannot find device|No such device/i.test(said)) return reject(new LinkCommandError('not-found', said));
      reject(new LinkCommandError('failed', said || `${bin} failed`));
    });
  });
}
