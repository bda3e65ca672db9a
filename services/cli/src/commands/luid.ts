import type { Command } from 'commander';
import { luidHex, luidName, parseLuid } from '@ifreg/domain';
import type { LuidIndexesAnswer } from '../api';
import { integer, scope } from '../args';
import { contextOf, type Io } from '../context';
import { CliError } from '../errors';
import { fields, table } from '../format';
import { segment } from '../http-client';
import { envelope, sendMessage } from './messages';

/** NET_LUID indexes (NdisIfAllocateNetLuidIndex / NdisIfFreeNetLuidIndex) and LUID forms. */
export function registerLuidCommands(program: Command, io: Io): void {
  const luid = program.command('luid').description('NET_LUID indexes held in a scope, and the forms of a NET_LUID');

  luid
    .command('allocate')
    .description('obtain a NetLuidIndex no one else holds for an ifType (NdisIfAllocateNetLuidIndex)')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .requiredOption('--type <ifType>', 'IANA ifType', integer())
    .option('--provider <id>', 'the provider that will hold it', 'cli')
    .action(async (name: string, o: { type: number; provider: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const outcome = await sendMessage(ctx, { ...envelope('NetLuidIndexRequested', name), providerId: o.provider, ifType: o.type });
      ctx.show(outcome, () =>
        outcome.type === 'NetLuidIndexAllocated'
          ? `allocated NetLuidIndex ${outcome.luid.netLuidIndex} for ifType ${outcome.luid.ifType} to ${outcome.providerId}: ${luidName(outcome.luid)} (${luidHex(outcome.luid)})`
          : `${outcome.type} in scope ${outcome.scope}`,
      );
    });

  luid
    .command('free')
    .description('give back a NetLuidIndex (NdisIfFreeNetLuidIndex)')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .requiredOption('--type <ifType>', 'IANA ifType', integer())
    .requiredOption('--index <netLuidIndex>', 'the NetLuidIndex to free', integer())
    .option('--provider <id>', 'the provider that holds it', 'cli')
    .action(async (name: string, o: { type: number; index: number; provider: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const outcome = await sendMessage(ctx, { ...envelope('NetLuidIndexFreeRequested', name), providerId: o.provider, luid: { ifType: o.type, netLuidIndex: o.index } });
      ctx.show(outcome, () => (outcome.type === 'NetLuidIndexFreed' ? `freed ${luidName(outcome.luid)} (${luidHex(outcome.luid)})` : `${outcome.type} in scope ${outcome.scope}`));
    });

  luid
    .command('list')
    .description('the NetLuidIndexes held in a scope (they survive BootEpochs)')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .action(async (name: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const answer = await ctx.client.get<LuidIndexesAnswer>(`/v1/scopes/${segment(name)}/luid-indexes`);
      ctx.show(answer, () =>
        answer.items.length === 0
          ? `scope ${answer.scope}: no NetLuidIndex held`
          : table(['LUID', 'Value', 'Provider', 'Allocated'], answer.items.map((i) => [i.luid.name, i.luid.value, i.providerId, i.allocatedAt])),
      );
    });

  luid
    .command('convert')
    .description('the forms of a NET_LUID, without asking the service: 0x… value, decimal, name, ifType and NetLuidIndex')
    .argument('<luid>', 'a 0x… value, a decimal value or a name such as ethernet_32768')
    .action((text: string, _options: unknown, command: Command) => {
      const parsed = parseLuid(text);
      if (!parsed.ok) throw new CliError(parsed.reason, 2);
      const value = luidHex(parsed.value);
      const forms = { ...parsed.value, value, decimal: BigInt(value).toString(), name: luidName(parsed.value) };
      const json = command.optsWithGlobals<{ json: boolean }>().json;
      io.out(
        json
          ? JSON.stringify(forms, null, 2)
          : fields([
              ['value', forms.value],
              ['decimal', forms.decimal],
              ['name', forms.name],
              ['ifType', forms.ifType],
              ['NetLuidIndex', forms.netLuidIndex],
            ]),
      );
    });
}
