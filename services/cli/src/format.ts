import { luidName } from '@ifreg/domain';
import type { Change, FailuresAnswer, InterfaceAnswer, InterfaceItem, InterfacesAnswer, LuidForms, ScopesAnswer } from './api';

/**
 * Human-readable output: tables like `netsh interface show interface` and `ip link`,
 * aligned on the widest cell. `--json` bypasses all of this.
 */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[], rightAligned: readonly number[] = []): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, col) => {
        const last = col === row.length - 1;
        if (rightAligned.includes(col)) return cell.padStart(widths[col] ?? 0);
        return last ? cell : cell.padEnd(widths[col] ?? 0);
      })
      .join('  ')
      .trimEnd();
  return [line(cells[0] ?? []), line(headers.map((_, col) => '-'.repeat(widths[col] ?? 0))), ...cells.slice(1).map(line)].join('\n');
}

/** Aligned "key  value" lines. */
export function fields(pairs: readonly (readonly [string, string | number | undefined])[]): string {
  const shown = pairs.filter((pair): pair is readonly [string, string | number] => pair[1] !== undefined && pair[1] !== '');
  const width = Math.max(...shown.map(([key]) => key.length));
  return shown.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}

export const luidText = (luid: LuidForms): string => `${luid.name} (${luid.value})`;

const orDash = (value: string | undefined): string => (value ? value : '-');

export function scopesTable(answer: ScopesAnswer): string {
  if (answer.items.length === 0) return 'no scopes yet';
  return table(
    ['Scope', 'Epoch', 'Interfaces', 'Last change', 'Changed at'],
    answer.items.map((s) => [s.scope, s.epoch, s.interfaceCount, s.lastChange, orDash(s.lastChangeAt)]),
    [1, 2, 3],
  );
}

export function interfacesTable(answer: InterfacesAnswer): string {
  const head = `scope ${answer.scope}, epoch ${answer.epoch}, position ${answer.position}: ${answer.items.length} interface${answer.items.length === 1 ? '' : 's'}`;
  if (answer.items.length === 0) return head;
  const rows = answer.items.map((i) => [i.ifIndex, i.info.friendlyName, i.luid.name, i.luid.ifType, orDash(i.info.physAddress), i.providerId, i.registeredAt]);
  const more = answer.next === undefined ? '' : `\nmore: --after ${answer.next}`;
  return `${head}\n${table(['Idx', 'Name', 'LUID', 'Type', 'MAC address', 'Provider', 'Registered'], rows, [0, 3])}${more}`;
}

export function interfaceDetails(item: InterfaceAnswer | InterfaceItem): string {
  const { info } = item;
  return fields([
    ['ifIndex', item.ifIndex],
    ['name', info.friendlyName],
    ['LUID', luidText(item.luid)],
    ['ifType', item.luid.ifType],
    ['NetLuidIndex', item.luid.netLuidIndex],
    ['provider', item.providerId],
    ['context', item.providerIfContext],
    ['MAC address', info.physAddress],
    ['permanent MAC', info.permanentPhysAddress !== info.physAddress ? info.permanentPhysAddress : undefined],
    ['access type', info.accessType],
    ['direction', info.directionType],
    ['connection', info.connectionType],
    ['connector', info.connectorPresent ? 'present' : 'absent'],
    ['flags', `0x${info.flags.toString(16)}${info.flags & 1 ? ' hardware' : ''}${info.flags & 2 ? ' filter' : ''}`],
    ['media type', info.mediaType],
    ['physical medium', info.physicalMediumType],
    ['interface GUID', info.interfaceGuid],
    ['network GUID', info.networkGuid],
    ['epoch', item.epoch],
    ['registered', item.registeredAt],
    ['scope', 'scope' in item ? item.scope : undefined],
    ['position', 'position' in item ? item.position : undefined],
  ]);
}

export function failuresTable(answer: FailuresAnswer): string {
  const head = `scope ${answer.scope}, epoch ${answer.epoch}: ${answer.items.length} recent failure${answer.items.length === 1 ? '' : 's'}`;
  if (answer.items.length === 0) return head;
  const rows = answer.items.map((f) => [f.at, f.status, f.messageType, f.luid ? luidName(f.luid) : '-', f.reason]);
  return `${head}\n${table(['At', 'Status', 'Message', 'LUID', 'Reason'], rows)}`;
}

/** One line per watched change: position, scope, what happened. */
export function changeLine(change: Change): string {
  const d = change.data;
  const luid = d['luid'] as LuidForms | undefined;
  const prefix = `${change.position}  ${change.scope}  ${change.kind}`;
  switch (change.kind) {
    case 'registered': {
      const info = d['info'] as { friendlyName?: string } | undefined;
      return `${prefix}  ifIndex ${String(d['ifIndex'])}  ${info?.friendlyName ?? ''}  ${luid?.name ?? ''}  by ${String(d['providerId'])}`;
    }
    case 'deregistered':
      return `${prefix}  ifIndex ${String(d['ifIndex'])}  ${luid?.name ?? ''}  by ${String(d['providerId'])}`;
    case 'failed':
      return `${prefix}  ${String(d['status'])}  ${String(d['messageType'])}: ${String(d['reason'])}`;
    case 'reset':
      return `${prefix}  epoch ${String(d['epoch'])}${typeof d['bootId'] === 'string' ? `  boot ${d['bootId']}` : ''}`;
    default:
      return `${prefix}  ${JSON.stringify(d)}`;
  }
}
