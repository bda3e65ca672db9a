import type { Command } from 'commander';
import { luidHex, luidName } from '@ifreg/domain';
import { integer, scope } from '../args';
import { contextOf, type Io } from '../context';
import { envelope, sendMessage } from './messages';

interface DetectOptions {
  readonly type: number;
  readonly index: number;
  readonly name: string;
  readonly mac?: string;
  readonly provider: string;
  readonly context?: string;
  readonly guid?: string;
  readonly hardware?: boolean;
}

/** detect, remove, boot: what an interface provider tells the registry, one message at a time. */
export function registerWriteCommands(program: Command, io: Io): void {
  program
    .command('detect')
    .description('register an interface (InterfaceDetected) and print its ifIndex')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .requiredOption('--type <ifType>', 'IANA ifType: 6 ethernet, 24 loopback, 71 wifi, 131 tunnel…', integer())
    .requiredOption('--index <netLuidIndex>', 'the NetLuidIndex of its NET_LUID (24 bits)', integer())
    .requiredOption('--name <friendlyName>', 'its friendly name, e.g. eth0')
    .option('--mac <address>', 'its physical address, e.g. 02:42:ac:11:00:02')
    .option('--guid <guid>', 'its interface GUID')
    .option('--context <text>', 'the opaque ProviderIfContext')
    .option('--hardware', 'NIIF_HARDWARE_INTERFACE: a physical interface with a connector')
    .option('--provider <id>', 'the provider registering it', 'cli')
    .action(async (name: string, o: DetectOptions, command: Command) => {
      const ctx = contextOf(command, io);
      const message = {
        ...envelope('InterfaceDetected', name),
        providerId: o.provider,
        luid: { ifType: o.type, netLuidIndex: o.index },
        ...(o.context === undefined ? {} : { providerIfContext: o.context }),
        info: {
          friendlyName: o.name,
          ...(o.mac === undefined ? {} : { physAddress: o.mac }),
          ...(o.guid === undefined ? {} : { interfaceGuid: o.guid }),
          ...(o.hardware ? { flags: 1, connectorPresent: true } : {}),
        },
        detectedAt: new Date().toISOString(),
      };
      const outcome = await sendMessage(ctx, message);
      ctx.show(outcome, () =>
        outcome.type === 'InterfaceRegistered'
          ? `registered ${outcome.info.friendlyName} (${luidName(outcome.luid)}, ${luidHex(outcome.luid)}) in scope ${outcome.scope} as ifIndex ${outcome.ifIndex}`
          : `${outcome.type} in scope ${outcome.scope}`,
      );
    });

  program
    .command('remove')
    .description('deregister an interface (InterfaceRemoved); its ifIndex is freed')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .requiredOption('--type <ifType>', 'IANA ifType of its NET_LUID', integer())
    .requiredOption('--index <netLuidIndex>', 'NetLuidIndex of its NET_LUID', integer())
    .option('--provider <id>', 'the provider that registered it', 'cli')
    .action(async (name: string, o: { type: number; index: number; provider: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const outcome = await sendMessage(ctx, { ...envelope('InterfaceRemoved', name), providerId: o.provider, luid: { ifType: o.type, netLuidIndex: o.index } });
      ctx.show(outcome, () =>
        outcome.type === 'InterfaceDeregistered'
          ? `deregistered ifIndex ${outcome.ifIndex} (${luidName(outcome.luid)}) from scope ${outcome.scope}`
          : `${outcome.type} in scope ${outcome.scope}`,
      );
    });

  program
    .command('boot')
    .description('announce that the scope\'s computer restarted (BootEpoch): its interface list starts empty')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .option('--boot-id <id>', 'the boot id, e.g. /proc/sys/kernel/random/boot_id')
    .action(async (name: string, o: { bootId?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const outcome = await sendMessage(ctx, { ...envelope('BootEpoch', name), ...(o.bootId === undefined ? {} : { bootId: o.bootId }), at: new Date().toISOString() });
      ctx.show(outcome, () => `scope ${outcome.scope} is in epoch ${outcome.epoch}: its interface list starts empty`);
    });
}
