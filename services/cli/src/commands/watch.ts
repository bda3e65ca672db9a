import type { Command } from 'commander';
import { backoffDelay, pause } from '@ifreg/platform';
import type { Change } from '../api';
import { integer, scope } from '../args';
import { contextOf, type Context, type Io } from '../context';
import { HttpError, UnreachableError } from '../errors';
import { changeLine } from '../format';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

interface WatchOptions {
  readonly from?: number;
  readonly maxEvents?: number;
}

/** Reconnections: 0.5 s, doubling up to 5 s. */
const RECONNECT = { minMs: 500, maxMs: 5000 };

/** watch: follows GET /v1/watch (server-sent events) until Ctrl-C or --max-events. */
export function registerWatchCommand(program: Command, io: Io): void {
  program
    .command('watch')
    .description('print the changes of one scope (or all) as they happen, until Ctrl-C')
    .argument('[scope]', 'only this scope', scope)
    .option('--from <position>', 'start after this store position (default: from now)', integer())
    .option('--max-events <n>', 'stop after n changes', integer(1))
    .action(async (name: string | undefined, o: WatchOptions, command: Command) => {
      await follow(contextOf(command, io), name, o);
    });
}

/**
 * Reconnects after the stream ends (a service restart, a slow-client cut-off) from the last
 * position seen, as SSE clients do with Last-Event-ID. The first connection must succeed:
 * an unreachable service, or a position too old (410), is an error at once.
 */
async function follow(ctx: Context, scope: string | undefined, o: WatchOptions): Promise<void> {
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  ctx.io.interrupted.addEventListener('abort', onInterrupt);
  let lastId = o.from === undefined ? undefined : String(o.from);
  let connected = false;
  let failures = 0;
  let seen = 0;
  try {
    while (!stop.signal.aborted) {
      let response: Response;
      try {
        response = await ctx.client.stream('/v1/watch', { scope }, lastId === undefined ? {} : { 'last-event-id': lastId }, stop.signal);
      } catch (error) {
        if (stop.signal.aborted) return;
        // Only a service that went away after we followed it is waited for.
        if (!connected || !(error instanceof UnreachableError)) throw error;
        await pause(backoffDelay(failures++, RECONNECT), stop.signal);
        continue;
      }
      connected = true;
      failures = 0;
      const events: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (event) => events.push(event) });
      const decoder = new TextDecoder();
      const reader = response.body?.getReader();
      if (!reader) return;
      try {
        for (;;) {
          const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
          for (const event of events.splice(0)) {
            if (event.id !== undefined) lastId = event.id;
            const change = JSON.parse(event.data) as Change;
            ctx.io.out(ctx.json ? JSON.stringify(change) : changeLine(change));
            if (o.maxEvents !== undefined && ++seen >= o.maxEvents) return;
          }
        }
      } catch (error) {
        if (stop.signal.aborted) return;
        if (error instanceof SyntaxError) throw new HttpError(200, 'BadEvent', `the watch stream sent an event that is not JSON: ${error.message}`, undefined);
      } finally {
        reader.releaseLock();
      }
      if (stop.signal.aborted) return;
      ctx.io.err(`ifreg: the watch stream ended; reconnecting${lastId === undefined ? '' : ` after position ${lastId}`}`);
      await pause(RECONNECT.minMs, stop.signal);
    }
  } finally {
    ctx.io.interrupted.removeEventListener('abort', onInterrupt);
    stop.abort();
  }
}
