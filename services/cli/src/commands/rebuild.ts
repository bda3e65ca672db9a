import type { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import type { RebuildStatus } from '../api';
import { integer } from '../args';
import { contextOf, type Io } from '../context';
import { CliError } from '../errors';

/** rebuild: the read model again from position 0, aside, swapped in when done; with progress. */
export function registerRebuildCommand(program: Command, io: Io): void {
  program
    .command('rebuild')
    .description('rebuild the read model from the event store, with progress; the service keeps answering meanwhile')
    .option('--interval <ms>', 'how often to ask for progress', integer(10, 60_000), 200)
    .action(async (o: { interval: number }, command: Command) => {
      const ctx = contextOf(command, io);
      const started = await ctx.client.post<RebuildStatus>('/v1/admin/rebuild', undefined);
      let status = started.body;
      const bar = io.interactive && !ctx.json
        ? new SingleBar({ format: 'rebuild [{bar}] {percentage}% | {value}/{total} events | {rate} events/s', hideCursor: true, stream: process.stderr }, Presets.shades_classic)
        : undefined;
      // Events, not positions: positions are opaque and may skip.
      bar?.start(Math.max(status.total ?? 0, 1), status.events ?? 0, { rate: 0 });
      try {
        while (status.running) {
          await new Promise((resolve) => setTimeout(resolve, o.interval));
          status = await ctx.client.get<RebuildStatus>('/v1/admin/rebuild');
          bar?.setTotal(Math.max(status.total ?? 0, 1));
          bar?.update(status.events ?? 0, { rate: status.eventsPerSecond ?? 0 });
        }
      } finally {
        bar?.stop();
      }
      if (status.error) {
        if (ctx.json) io.out(JSON.stringify(status, null, 2));
        throw new CliError(`rebuild failed: ${status.error}`);
      }
      ctx.show(status, () => `rebuilt ${status.events ?? 0} events (${status.eventsPerSecond ?? 0} events/s), swapped in at ${status.finishedAt ?? '?'}`);
    });
}
