import { IFF_PROMISC, IFF_UP, LinkCommandError, readLinkState, runIp, type LinkState } from '@ifreg/host-interfaces';
import { oidDefinition, oidLabel } from '@ifreg/domain';
import type { ObjectAnswer, ObjectHandlers, ObjectQuery, ObjectSet } from '@ifreg/agent-sdk';

export interface LinuxObjectsOptions {
  /** Where interfaces are read from (default /sys/class/net). */
  readonly sysRoot: string;
  /** Whether sets are carried out; when not, they answer NOT_ACCEPTED with `setsDisabledReason`. */
  readonly allowSets: boolean;
  readonly setsDisabledReason?: string;
  /** How `ip` is run (default `ip`; `['ip', '-n', 'ns1']` for a network namespace). */
  readonly ipCommand?: readonly string[];
  readonly now?: () => Date;
}

/** `linux:<name>:ifindex=<n>`, the context the Linux agent registers its interfaces with. */
export function parseLinuxContext(context: string): { name: string; linuxIfIndex: number } | undefined {
  const match = /^linux:(.+):ifindex=(\d+)$/.exec(context);
  return match ? { name: match[1] as string, linuxIfIndex: Number(match[2]) } : undefined;
}

const OPER: Readonly<Record<string, string>> = {
  up: 'up',
  down: 'down',
  testing: 'testing',
  unknown: 'unknown',
  dormant: 'dormant',
  notpresent: 'notPresent',
  lowerlayerdown: 'lowerLayerDown',
};

/**
 * ProviderQueryObject / ProviderSetObject of the Linux agent: answers from sysfs
 * (operstate, flags, carrier, speed, duplex, ifalias, statistics) and sets with iproute2's
 * `ip` (admin status, alias). The interface is the one its ProviderIfContext names; if that
 * name now has another Linux ifindex, the registered interface is gone: INTERFACE_NOT_FOUND.
 * Any other OID answers NOT_SUPPORTED.
 *
 * The kernel keeps no time of the last change: OID_GEN_LAST_CHANGE is the time this agent saw
 * the operational state (or the carrier change count) change, null before it saw one
 * (RFC 2863's zero: the state was entered before the agent watched).
 */
export class LinuxObjects implements ObjectHandlers {
  private readonly seen = new Map<string, { readonly signature: string; readonly changedAt: string | undefined }>();
  private readonly now: () => Date;

  constructor(private readonly options: LinuxObjectsOptions) {
    this.now = options.now ?? (() => new Date());
  }

  readonly queryObject = async (query: ObjectQuery): Promise<ObjectAnswer> => {
    const found = await this.read(query.providerIfContext);
    if ('status' in found) return found;
    const value = this.valueOf(query.oid.value, found.state, found.key);
    return value === undefined ? { status: 'NOT_SUPPORTED', reason: `${oidLabel(query.oid)} is not answered by the Linux agent` } : { status: 'SUCCESS', value };
  };

  readonly setObject = async (set: ObjectSet): Promise<ObjectAnswer> => {
    const kind = oidDefinition(set.oid.value)?.kind;
    if (kind !== 'adminStatus' && kind !== 'alias') return { status: 'NOT_SUPPORTED', reason: `${oidLabel(set.oid)} cannot be set on a Linux interface by this agent` };
    if (!this.options.allowSets) return { status: 'NOT_ACCEPTED', reason: this.options.setsDisabledReason ?? 'sets are disabled on this agent' };
    const found = await this.read(set.providerIfContext);
    if ('status' in found) return found;
    const { name } = found;
    if (kind === 'adminStatus' && set.value === 'testing') return { status: 'NOT_SUPPORTED', reason: 'Linux has no administrative testing state' };
    if (kind === 'adminStatus' && set.value !== 'up' && set.value !== 'down') return { status: 'INVALID_DATA', reason: `admin status must be up or down, got ${JSON.stringify(set.value)}` };
    if (kind === 'alias' && (typeof set.value !== 'string' || Buffer.byteLength(set.value) > 255)) {
      return { status: 'INVALID_LENGTH', reason: 'a Linux ifalias holds at most 255 bytes' };
    }
    const args = kind === 'adminStatus' ? ['link', 'set', 'dev', name, String(set.value)] : ['link', 'set', 'dev', name, 'alias', String(set.value)];
    try {
      await runIp(args, this.options.ipCommand);
    } catch (error) {
      if (!(error instanceof LinkCommandError)) throw error;
      const status = error.kind === 'denied' ? 'ACCESS_DENIED' : error.kind === 'not-found' ? 'INTERFACE_NOT_FOUND' : error.kind === 'no-ip' ? 'NOT_SUPPORTED' : 'FAILURE';
      const hint = error.kind === 'denied' ? ' (the agent lacks CAP_NET_ADMIN)' : '';
      return { status, reason: `ip ${args.join(' ')}: ${error.message}${hint}` };
    }
    const after = await this.read(set.providerIfContext);
    return 'status' in after ? after : { status: 'SUCCESS', value: kind === 'adminStatus' ? adminOf(after.state) : after.state.alias };
  };

  /** Looks at every interface seen so far, so state changes between queries are noticed. */
  async sample(): Promise<void> {
    for (const key of [...this.seen.keys()]) {
      const name = key.slice(0, key.lastIndexOf('#'));
      await readLinkState(this.options.sysRoot, name).then(
        (state) => this.observe(`${name}#${state.linuxIfIndex}`, state),
        () => this.seen.delete(key),
      );
    }
  }

  private async read(context: string): Promise<{ name: string; key: string; state: LinkState } | ObjectAnswer> {
    const target = parseLinuxContext(context);
    if (!target) return { status: 'INVALID_PARAMETER', reason: `ProviderIfContext ${JSON.stringify(context)} is not one of this agent's (linux:<name>:ifindex=<n>)` };
    let state: LinkState;
    try {
      state = await readLinkState(this.options.sysRoot, target.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'INTERFACE_NOT_FOUND', reason: `${target.name} no longer exists` };
      return { status: 'FAILURE', reason: `cannot read ${target.name}: ${(error as Error).message}` };
    }
    if (state.linuxIfIndex !== target.linuxIfIndex) {
      return { status: 'INTERFACE_NOT_FOUND', reason: `${target.name} is now Linux ifindex ${state.linuxIfIndex}, not ${target.linuxIfIndex}: the registered interface is gone` };
    }
    const key = `${target.name}#${target.linuxIfIndex}`;
    this.observe(key, state);
    return { name: target.name, key, state };
  }

  private observe(key: string, state: LinkState): void {
    const signature = `${state.operstate}/${state.carrierChanges ?? ''}/${state.flags & IFF_UP}`;
    const before = this.seen.get(key);
    if (before?.signature === signature) return;
    this.seen.set(key, { signature, changedAt: before ? this.now().toISOString() : undefined });
  }

  private valueOf(oid: number, s: LinkState, key: string): unknown {
    const stats = statisticsOf(s);
    const speed = s.speedMbps === undefined ? null : s.speedMbps * 1_000_000;
    switch (oidDefinition(oid)?.name) {
      case 'OID_GEN_OPERATIONAL_STATUS':
        return OPER[s.operstate] ?? 'unknown';
      case 'OID_GEN_ADMIN_STATUS':
        return adminOf(s);
      case 'OID_GEN_MEDIA_CONNECT_STATUS_EX':
      case 'OID_GEN_MEDIA_CONNECT_STATUS':
        return connectOf(s);
      case 'OID_GEN_LINK_SPEED_EX':
        return { xmitLinkSpeed: speed, rcvLinkSpeed: speed };
      case 'OID_GEN_XMIT_LINK_SPEED':
      case 'OID_GEN_RCV_LINK_SPEED':
        return speed;
      case 'OID_GEN_LINK_SPEED':
        // NDIS 5's unit: 100 bits/s.
        return speed === null ? null : speed / 100;
      case 'OID_GEN_MEDIA_DUPLEX_STATE':
        return duplexOf(s);
      case 'OID_GEN_PROMISCUOUS_MODE':
        return (s.flags & IFF_PROMISC) !== 0;
      case 'OID_GEN_ALIAS':
        return s.alias;
      case 'OID_GEN_LAST_CHANGE':
        return this.seen.get(key)?.changedAt ?? null;
      case 'OID_GEN_BYTES_RCV':
        return stats.inOctets;
      case 'OID_GEN_BYTES_XMIT':
        return stats.outOctets;
      case 'OID_GEN_RCV_OK':
        return stats.inPackets;
      case 'OID_GEN_XMIT_OK':
        return stats.outPackets;
      case 'OID_GEN_RCV_ERROR':
        return stats.inErrors;
      case 'OID_GEN_XMIT_ERROR':
        return stats.outErrors;
      case 'OID_GEN_RCV_DISCARDS':
        return stats.inDiscards;
      case 'OID_GEN_XMIT_DISCARDS':
        return stats.outDiscards;
      case 'OID_GEN_STATISTICS':
        return stats;
      case 'OID_GEN_INTERFACE_INFO':
        return {
          operStatus: OPER[s.operstate] ?? 'unknown',
          mediaConnectState: connectOf(s),
          mediaDuplexState: duplexOf(s),
          mtu: s.mtu,
          promiscuousMode: (s.flags & IFF_PROMISC) !== 0,
          xmitLinkSpeed: speed,
          rcvLinkSpeed: speed,
          lastChange: this.seen.get(key)?.changedAt ?? null,
          ...stats,
        };
      default:
        return undefined;
    }
  }
}

const adminOf = (s: LinkState): string => ((s.flags & IFF_UP) !== 0 ? 'up' : 'down');
const connectOf = (s: LinkState): string => (s.carrier === undefined ? 'unknown' : s.carrier ? 'connected' : 'disconnected');
const duplexOf = (s: LinkState): string => (s.duplex === 'full' || s.duplex === 'half' ? s.duplex : 'unknown');

/** The counters Linux keeps, as OID_GEN_STATISTICS answers them (packets are Linux's totals). */
function statisticsOf({ statistics: t }: LinkState) {
  return {
    inOctets: t.rxBytes,
    inPackets: t.rxPackets,
    inMulticastPackets: t.multicast,
    inErrors: t.rxErrors,
    inDiscards: t.rxDropped,
    outOctets: t.txBytes,
    outPackets: t.txPackets,
    outErrors: t.txErrors,
    outDiscards: t.txDropped,
  };
}
