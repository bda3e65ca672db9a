import type { Command } from 'commander';
import { parseLuid } from '@ifreg/domain';
import type { FailuresAnswer, InterfaceAnswer, InterfacesAnswer, ScopesAnswer } from '../api';
import { integer, scope } from '../args';
import { contextOf, type Context, type Io } from '../context';
import { segment } from '../http-client';
import { failuresTable, interfaceDetails, interfacesTable, scopesTable } from '../format';
import { queryObject } from './objects';

/** scopes, list, get (show), failures: what the registry knows. */
export function registerReadCommands(program: Command, io: Io): void {
  program
    .command('scopes')
    .description('list the scopes (computers) with their epoch and number of interfaces')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const answer = await ctx.client.get<ScopesAnswer>('/v1/scopes');
      ctx.show(answer, () => scopesTable(answer));
    });

  program
    .command('list')
    .description('list the interfaces of a scope, by ifIndex (like `netsh interface show interface`)')
    .argument('[scope]', 'the scope (default: local, this host under npm start)', scope, 'local')
    .option('--type <ifType>', 'only this IANA ifType (6 ethernet, 24 loopback, 71 wifi, 131 tunnel…)', integer(0, 65535))
    .option('--provider <id>', 'only interfaces of this provider')
    .option('--name <name>', 'only this friendly name or LUID name (ethernet_32768)')
    .option('--limit <n>', 'at most n interfaces', integer(1, 65535))
    .option('--after <ifIndex>', 'only ifIndex above this (paging: the "more" line)', integer(0, 65535))
    .option('--as-of <position>', 'the list as it was at this store position', integer())
    .option('--min-position <position>', 'wait until the read model has reached this position (read your writes)', integer())
    .action(async (name: string, o: ListOptions, command: Command) => {
      const ctx = contextOf(command, io);
      const answer = await ctx.client.get<InterfacesAnswer>(`/v1/scopes/${segment(name)}/interfaces`, {
        ifType: o.type,
        providerId: o.provider,
        name: o.name,
        limit: o.limit,
        after: o.after,
        asOf: o.asOf,
        minPosition: o.minPosition,
      });
      ctx.show(answer, () => interfacesTable(answer));
    });

  program
    .command('get')
    .alias('show')
    .description('show one interface with its NET_IF_INFORMATION')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .argument('<interface>', 'an ifIndex (a number), a NET_LUID (0x… or a name such as ethernet_32768) or a friendly name (eth0)')
    .argument('[oid]', 'an interface object to query from its provider, e.g. OID_GEN_OPERATIONAL_STATUS or 0x00010283')
    .option('--min-position <position>', 'wait until the read model has reached this position', integer())
    .action(async (name: string, ref: string, oid: string | undefined, o: { minPosition?: number }, command: Command) => {
      const ctx = contextOf(command, io);
      if (oid !== undefined) return queryObject(ctx, name, ref, oid);
      const answer = await findInterface(ctx, name, ref, o.minPosition);
      ctx.show(answer, () => interfaceDetails(answer));
    });

  program
    .command('failures')
    .description('the recent registration failures of a scope, newest last')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .action(async (name: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const answer = await ctx.client.get<FailuresAnswer>(`/v1/scopes/${segment(name)}/failures`);
      ctx.show(answer, () => failuresTable(answer));
    });
}

interface ListOptions {
  readonly type?: number;
  readonly provider?: string;
  readonly name?: string;
  readonly limit?: number;
  readonly after?: number;
  readonly asOf?: number;
  readonly minPosition?: number;
}

/** How `get` reads its argument; exported for the unit tests. */
export function interfaceRefKind(ref: string): 'ifIndex' | 'luid' | 'name' {
  if (/^\d{1,5}$/.test(ref)) return 'ifIndex';
  if (/^0x[0-9a-fA-F]{1,16}$/.test(ref)) return 'luid';
  // ethernet_32768, loopback_0, iftype53_2; "veth_1" is no LUID name (no such type): a friendly name.
  return /_\d+$/.test(ref) && parseLuid(ref).ok ? 'luid' : 'name';
}

export async function findInterface(ctx: Context, name: string, ref: string, minPosition: number | undefined): Promise<InterfaceAnswer> {
  const base = `/v1/scopes/${segment(name)}`;
  const query = { minPosition };
  switch (interfaceRefKind(ref)) {
    case 'ifIndex':
      return ctx.client.get<InterfaceAnswer>(`${base}/interfaces/${segment(ref)}`, query);
    case 'luid':
      return ctx.client.get<InterfaceAnswer>(`${base}/luids/${segment(ref)}`, query);
    case 'name':
      // This endpoint takes no minPosition: wait for the position first.
      if (minPosition !== undefined) await ctx.client.get('/v1/scopes', query);
      return ctx.client.get<InterfaceAnswer>(`${base}/names/${segment(ref)}`);
  }
}
