import '@ifreg/platform/require-supported-node';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import type { RebuildStatus } from '@ifreg/query';

/**
 * `npm run rebuild`: asks a running query service (or all-in-one) to rebuild its read model
 * from position 0 aside, and shows the progress until the new model is swapped in.
 * The service keeps answering from the old model meanwhile.
 */
const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const program = new Command('ifreg-rebuild')
  .description('Rebuild the read model of a running ifreg query service from position 0, with progress')
  .option('--url <url>', 'the service', process.env['IFREG_URL'] ?? 'http://127.0.0.1:8080')
  .option('--token <token>', 'bearer token, when the service has one (default: $IFREG_TOKEN)', process.env['IFREG_TOKEN'])
  .option('--interval <ms>', 'how often to ask for progress', positiveInt, 200)
  .option('--no-progress', 'print only the final line');

async function call(url: string, init: RequestInit = {}): Promise<RebuildStatus> {
  const response = await fetch(url, init);
  const body = (await response.json()) as RebuildStatus & { reason?: string };
  if (!response.ok) throw new Error(`${response.status} ${body.reason ?? ''}`.trim());
  return body;
}

async function main(): Promise<void> {
  const options = program.parse().opts<{ url: string; token?: string; interval: number; progress: boolean }>();
  const endpoint = `${options.url.replace(/\/$/, '')}/v1/admin/rebuild`;
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  let status = await call(endpoint, { method: 'POST', headers });
  const bar = new SingleBar(
    { format: 'rebuild [{bar}] {percentage}% | {value}/{total} events | {rate} events/s | ETA {eta_formatted}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 },
    Presets.shades_classic,
  );
  // Events, not positions: positions are opaque and may skip.
  if (options.progress) bar.start(Math.max(status.total ?? 0, 1), status.events ?? 0, { rate: 0 });
  while (status.running) {
    await new Promise((resolve) => setTimeout(resolve, options.interval));
    status = await call(endpoint);
    if (options.progress) {
      bar.setTotal(Math.max(status.total ?? 0, 1));
      bar.update(status.events ?? 0, { rate: status.eventsPerSecond ?? 0 });
    }
  }
  if (options.progress) bar.stop();
  if (status.error) throw new Error(`rebuild failed: ${status.error}`);
  console.log(`rebuilt ${status.events ?? 0} events (${status.eventsPerSecond ?? 0} events/s), swapped in at ${status.finishedAt ?? '?'}`);
}

main().catch((error: unknown) => {
  console.error(`ifreg-rebuild: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
