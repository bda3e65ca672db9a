import type { Command } from 'commander';
import type { ConversionAnswer } from '../api';
import { integer, scope } from '../args';
import { contextOf, type Io } from '../context';
import { segment } from '../http-client';

/** ConvertInterfaceLuidToIndex / ConvertInterfaceIndexToLuid, answered by the registry. */
export function registerConvertCommands(program: Command, io: Io): void {
  program
    .command('luid-to-index')
    .description('the ifIndex of a registered NET_LUID (ConvertInterfaceLuidToIndex)')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .argument('<luid>', 'a NET_LUID: 0x… value or a name such as ethernet_32768')
    .action(async (name: string, luid: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const answer = await ctx.client.get<ConversionAnswer>(`/v1/scopes/${segment(name)}/convert/luid-to-index/${segment(luid)}`);
      ctx.show(answer, () => String(answer.ifIndex));
    });

  program
    .command('index-to-luid')
    .description('the NET_LUID of a registered ifIndex (ConvertInterfaceIndexToLuid)')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .argument('<ifIndex>', 'an interface index', integer())
    .action(async (name: string, ifIndex: number, _options: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const answer = await ctx.client.get<ConversionAnswer>(`/v1/scopes/${segment(name)}/convert/index-to-luid/${ifIndex}`);
      ctx.show(answer, () => `${answer.luid.value} ${answer.luid.name}`);
    });
}
