import { RegistrationError, type Provider } from '@ifreg/agent-sdk';
import { luidName, type NetLuid } from '@ifreg/domain';
import { readBootId, readMachineId, type HostInterface } from '@ifreg/host-interfaces';
import { backoffDelay, type Logger } from '@ifreg/platform';
import { scanHost } from './host-scan';

export interface LinuxAgentOptions {
  readonly provider: Provider;
  readonly log: Logger;
  readonly sysRoot: string;
  readonly bootIdPath: string;
  readonly machineIdPath: string;
  readonly pollMs: number;
}

/** A registered interface as the agent knows it. */
export interface TrackedInterface {
  readonly name: string;
  readonly luid: NetLuid;
  readonly ifIndex: number;
  /** What it was registered with; a change means a new registration. */
  readonly signature: string;
}

export interface SyncReport {
  readonly registered: number;
  readonly removed: number;
  readonly failed: number;
}

/** Changes made in one look at most; the rest follow on the next look. */
const MAX_CHANGES_PER_SYNC = 256;
const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Registers this host's interfaces through the provider and follows them by looking at
 * /sys/class/net every `pollMs`: new interfaces are detected, vanished ones removed, and
 * one whose NET_IF_INFORMATION changed (NDIS keeps it constant while an interface exists)
 * is removed and registered again. Every look is a full comparison, so a missed change is
 * caught on the next one; no look ever throws.
 *
 * MTU is left out of what is registered: it can change while the interface exists, and the
 * registry compares ProviderIfContext to tell an idempotent re-detection from a conflict.
 * It is logged with the outcome instead.
 */
export class LinuxAgent {
  private readonly tracked = new Map<string, TrackedInterface>();
  private readonly retries = new Map<string, { attempts: number; notBefore: number }>();
  private readonly reported = new Map<string, string>();
  private machineId: string | undefined;
  private epochChecked = false;
  private staleChecked = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SyncReport> | undefined;
  private stopped = false;

  constructor(private readonly options: LinuxAgentOptions) {}

  /** The first full sync, then a look every pollMs until stop(). */
  async start(): Promise<SyncReport> {
    // A state file that cannot be read stops the start: its LUIDs must not be replaced by new ones.
    await this.options.provider.known();
    const report = await this.sync();
    this.schedule();
    return report;
  }

  /** Stops looking; an ongoing look finishes first. Registrations stay: the interfaces still exist. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** The interfaces registered by this agent, by name. */
  get interfaces(): ReadonlyMap<string, TrackedInterface> {
    return this.tracked;
  }

  /** One look: boot epoch, then every difference between the host and the registry. Never rejects. */
  sync(): Promise<SyncReport> {
    const run = (this.running ?? Promise.resolve()).catch(() => undefined).then(() => this.syncOnce());
    this.running = run;
    return run;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.sync().then(() => this.schedule());
    }, this.options.pollMs);
  }

  private async syncOnce(): Promise<SyncReport> {
    const { log } = this.options;
    const counts = { registered: 0, removed: 0, failed: 0 };
    try {
      this.machineId ??= await readMachineId(this.options.machineIdPath);
      if (!(await this.checkBootEpoch())) return { ...counts, failed: 1 };
      let scan;
      try {
        scan = await scanHost(this.options.sysRoot, this.machineId);
      } catch (error) {
        this.reportOnce('sysfs', `cannot list ${this.options.sysRoot}: ${(error as Error).message}`);
        return { ...counts, failed: 1 };
      }
      this.reported.delete('sysfs');
      for (const [name, problem] of scan.unreadable) this.reportOnce(`read:${name}`, `cannot read interface ${name}: ${problem}`);
      let budget = MAX_CHANGES_PER_SYNC;
      if (!this.staleChecked) {
        // Registered by an earlier run and gone while the agent was not looking.
        let allDone = true;
        for (const [name, entry] of await this.options.provider.known()) {
          if (!entry.registered || scan.present.has(name) || budget-- <= 0) continue;
          if (await this.remove(name, entry.luid)) counts.removed++;
          else allDone = false;
        }
        this.staleChecked = allDone && budget > 0;
      }
      for (const name of [...this.tracked.keys()]) {
        const entry = this.tracked.get(name);
        if (!entry || scan.present.has(name) || budget-- <= 0) continue;
        if (await this.remove(name, entry.luid)) counts.removed++;
        else counts.failed++;
      }
      for (const name of [...this.retries.keys()]) if (!scan.present.has(name)) this.retries.delete(name);
      for (const key of [...this.reported.keys()]) if (key.startsWith('read:') && !scan.unreadable.has(key.slice(5))) this.reported.delete(key);
      for (const [name, hostIf] of scan.interfaces) {
        const signature = signatureOf(hostIf);
        const entry = this.tracked.get(name);
        if (entry?.signature === signature || !this.due(name) || budget <= 0) continue;
        budget--;
        if (entry) {
          log.info({ ifName: name, ifIndex: entry.ifIndex }, 'interface information changed, registering it again');
          if (!(await this.remove(name, entry.luid))) {
            counts.failed++;
            continue;
          }
        }
        if (await this.register(hostIf, signature)) counts.registered++;
        else counts.failed++;
      }
    } catch (error) {
      counts.failed++;
      log.error({ err: error }, 'sync failed, trying again on the next look');
    }
    if (counts.registered + counts.removed + counts.failed > 0) log.debug(counts, 'sync done');
    return counts;
  }

  /** A BootEpoch when the host booted since the last one announced; false while that cannot be done. */
  private async checkBootEpoch(): Promise<boolean> {
    if (this.epochChecked) return true;
    const { provider, log, bootIdPath } = this.options;
    const bootId = await readBootId(bootIdPath);
    if (bootId === undefined) {
      log.warn({ bootIdPath }, 'no boot id: boot epochs are not announced');
    } else if (bootId !== (await provider.lastBootId())) {
      try {
        const { epoch } = await provider.bootEpoch(bootId);
        await provider.rememberBootId(bootId);
        log.info({ scope: provider.scope, epoch, bootId }, 'new boot epoch');
      } catch (error) {
        this.reportOnce('boot', `cannot announce the boot epoch: ${(error as Error).message}`);
        return false;
      }
      this.reported.delete('boot');
      this.tracked.clear();
    }
    this.epochChecked = true;
    return true;
  }

  private async register(hostIf: HostInterface, signature: string): Promise<boolean> {
    const { provider, log } = this.options;
    const { name } = hostIf;
    const detection = { key: name, info: hostIf.info, providerIfContext: contextOf(hostIf) };
    try {
      const held = (await provider.known()).get(name);
      if (held && held.luid.ifType !== hostIf.luid.ifType) {
        // The name now belongs to an interface of another type: its LUID does not fit.
        log.info({ ifName: name, luid: luidName(held.luid), ifType: hostIf.luid.ifType }, 'interface type changed, freeing its NET_LUID');
        if (held.registered && !(await this.remove(name, held.luid))) return this.failed(name);
        await provider.freeLuid(name);
      }
      const luid = await provider.allocateLuid(hostIf.luid.ifType, name);
      let registration;
      try {
        registration = await provider.detect(detection);
      } catch (error) {
        // Registered earlier with other information (changed while we were not looking): replace it.
        if (!(error instanceof RegistrationError && error.status === 'INTERFACE_EXISTS')) throw error;
        log.info({ ifName: name, luid: luidName(luid), reason: error.reason }, 'replacing an outdated registration');
        await provider.remove({ key: name });
        registration = await provider.detect(detection);
      }
      this.tracked.set(name, { name, luid, ifIndex: registration.ifIndex, signature });
      this.retries.delete(name);
      log.info({ ifName: name, ifIndex: registration.ifIndex, luid: luidName(luid), linuxIfIndex: hostIf.linuxIfIndex, mtu: hostIf.mtu, physAddress: hostIf.info.physAddress }, 'interface registered');
      return true;
    } catch (error) {
      return this.failed(name, error);
    }
  }

  private failed(name: string, error?: unknown): false {
    const { log } = this.options;
    const delayMs = this.backOff(name);
    if (error instanceof RegistrationError) log.warn({ ifName: name, status: error.status, reason: error.reason, retryInMs: delayMs }, 'interface not registered');
    else if (error !== undefined) log.warn({ ifName: name, err: error, retryInMs: delayMs }, 'interface not registered, registry not answering');
    return false;
  }

  /** False when the registry could not be told; the removal is tried again on the next look. */
  private async remove(name: string, luid: NetLuid): Promise<boolean> {
    const { provider, log } = this.options;
    try {
      const { ifIndex } = await provider.remove({ luid });
      log.info({ ifName: name, ifIndex, luid: luidName(luid) }, 'interface removed');
    } catch (error) {
      if (!(error instanceof RegistrationError && error.status === 'INTERFACE_NOT_FOUND')) {
        log.warn({ ifName: name, err: error }, 'interface not removed, trying again on the next look');
        return false;
      }
      log.debug({ ifName: name, luid: luidName(luid) }, 'interface was not registered');
    }
    this.tracked.delete(name);
    this.retries.delete(name);
    return true;
  }

  private due(name: string): boolean {
    return (this.retries.get(name)?.notBefore ?? 0) <= Date.now();
  }

  private backOff(name: string): number {
    const attempts = (this.retries.get(name)?.attempts ?? 0) + 1;
    const delayMs = backoffDelay(attempts - 1, { minMs: this.options.pollMs, maxMs: MAX_RETRY_DELAY_MS });
    this.retries.set(name, { attempts, notBefore: Date.now() + delayMs });
    return delayMs;
  }

  /** Logs a lasting problem once, not on every look. */
  private reportOnce(key: string, problem: string): void {
    if (this.reported.get(key) === problem) return;
    this.reported.set(key, problem);
    this.options.log.warn({ problem }, problem);
  }
}

/** The opaque context handed back with the registration: the Linux handle of the interface. */
export const contextOf = (hostIf: HostInterface): string => `linux:${hostIf.name}:ifindex=${hostIf.linuxIfIndex}`;

const signatureOf = (hostIf: HostInterface): string => JSON.stringify([hostIf.luid.ifType, contextOf(hostIf), hostIf.info]);
