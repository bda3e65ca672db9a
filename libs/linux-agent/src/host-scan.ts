import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { listInterfaceNames, readHostInterface, type HostInterface } from '@ifreg/host-interfaces';

/** One look at /sys/class/net: what is there, and what could be read. */
export interface HostScan {
  /** Every interface listed, readable or not. */
  readonly present: ReadonlySet<string>;
  /** The interfaces read completely. */
  readonly interfaces: ReadonlyMap<string, HostInterface>;
  /** Present but unreadable ones, with the reason: neither registered nor removed on this look. */
  readonly unreadable: ReadonlyMap<string, string>;
}

/**
 * Lists and reads the interfaces under `sysRoot`. An interface that vanishes between the
 * listing and the reading is simply absent. Rejects only when the directory itself cannot
 * be listed.
 */
export async function scanHost(sysRoot: string, machineId: string): Promise<HostScan> {
  const names = await listInterfaceNames(sysRoot);
  const present = new Set(names);
  const interfaces = new Map<string, HostInterface>();
  const unreadable = new Map<string, string>();
  await Promise.all(
    names.map(async (name) => {
      try {
        interfaces.set(name, await readHostInterface(sysRoot, name, machineId));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(join(sysRoot, name)))) present.delete(name);
        else unreadable.set(name, (error as Error).message);
      }
    }),
  );
  return { present, interfaces, unreadable };
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);
