import { createHash } from 'node:crypto';
import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_NET_LUID_INDEX, type NetIfInformationInput, type NetLuid } from '@ifreg/domain';
import { nameBasedUuid } from '@ifreg/platform';
import { accessType, hardwareFlags, linkKind } from './linux-types';

/** One network interface of this Linux host, as /sys/class/net shows it. */
export interface HostInterface {
  readonly name: string;
  readonly linuxIfIndex: number;
  readonly mtu: number;
  readonly luid: NetLuid;
  readonly info: NetIfInformationInput;
}

const exists = (path: string) => access(path).then(() => true, () => false);
const readText = async (path: string) => (await readFile(path, 'utf8')).trim();

/** Reads every interface under `sysRoot` (default /sys/class/net), in Linux ifindex order. */
export async function readHostInterfaces(sysRoot = '/sys/class/net', machineId?: string): Promise<HostInterface[]> {
  const machine = machineId ?? (await readMachineId());
  const names = await listInterfaceNames(sysRoot);
  const all = await Promise.all(names.map((name) => readHostInterface(sysRoot, name, machine)));
  return all.sort((a, b) => a.linuxIfIndex - b.linuxIfIndex);
}

/** The names of the interfaces under `sysRoot`, unsorted. */
export async function listInterfaceNames(sysRoot = '/sys/class/net'): Promise<string[]> {
  // Interfaces are links (or directories); plain files such as bonding_masters are not.
  const entries = await readdir(sysRoot, { withFileTypes: true });
  return entries.filter((e) => e.isSymbolicLink() || e.isDirectory()).map((e) => e.name);
}

/** The id interface GUIDs are derived from; stable for the machine's life. */
export const readMachineId = (path = '/etc/machine-id'): Promise<string> => readText(path).catch(() => 'unknown-machine');

/**
 * Reads one interface; rejects (ENOENT) when it vanished meanwhile, which a caller that
 * follows changes treats as a removal rather than a failure.
 */
export async function readHostInterface(sysRoot: string, name: string, machineId: string): Promise<HostInterface> {
  const dir = join(sysRoot, name);
  const [arpType, flags, linuxIfIndex, mtu, address, hardware, wireless] = await Promise.all([
    readText(join(dir, 'type')).then(Number),
    readText(join(dir, 'flags')).then(Number),
    readText(join(dir, 'ifindex')).then(Number),
    readText(join(dir, 'mtu')).then(Number),
    readText(join(dir, 'address')).catch(() => ''),
    exists(join(dir, 'device')),
    exists(join(dir, 'wireless')),
  ]);
  const kind = linkKind(arpType, wireless, hardware);
  const physAddress = /^([0-9a-f]{2}:){1,31}[0-9a-f]{2}$/.test(address) && !/^(00:)+00$/.test(address) ? address : '';
  return {
    name,
    linuxIfIndex,
    mtu,
    luid: { ifType: kind.ifType, netLuidIndex: kind.ifType === 24 ? 0 : stableIndex(name) },
    info: {
      friendlyName: name,
      flags: hardwareFlags(hardware),
      accessType: accessType(flags),
      connectorPresent: hardware,
      physAddress,
      interfaceGuid: stableGuid(machineId, name),
      mediaType: kind.mediaType,
      physicalMediumType: kind.physicalMediumType,
    },
  };
}

/**
 * A NetLuidIndex that stays the same for a name across restarts (NDIS keeps it in
 * persistent storage). Until the registry allocates NetLuidIndexes, a hash of the name.
 */
export function stableIndex(name: string): number {
  const hash = createHash('sha1').update(`netluid\n${name}`).digest();
  return 1 + (hash.readUInt32BE(0) % MAX_NET_LUID_INDEX);
}

export const stableGuid = (machineId: string, name: string): string => nameBasedUuid('ifreg-interface-guid', machineId, name);

/** The host's boot id: a new one means the machine restarted, so a new BootEpoch. */
export async function readBootId(path = '/proc/sys/kernel/random/boot_id'): Promise<string | undefined> {
  return readText(path).catch(() => undefined);
}
