import { randomUUID } from 'node:crypto';
import type { OutcomeAnswer } from '../api';
import type { Context } from '../context';
import { CliError } from '../errors';

/** The envelope of every agent message (DESIGN.md §2.9). */
export const envelope = (type: string, scope: string) => ({ type, schemaVersion: 1, messageId: `cli-${randomUUID()}`, scope });

/**
 * POST /v1/messages?wait=true: one agent message, answered with the event the registry
 * recorded for it. A refusal (RegistrationFailed, or a message the registry could not
 * accept) is printed and ends the command with exit code 1.
 */
export async function sendMessage(ctx: Context, message: Readonly<Record<string, unknown>>): Promise<OutcomeAnswer> {
  // The service's wait ends before our request's timeout, so its 504 (with a reason) arrives.
  const waitMs = Math.max(1, Math.min(60_000, ctx.timeoutMs - 500));
  const { status, body } = await ctx.client.post<Record<string, unknown>>('/v1/messages', message, { wait: true, timeoutMs: waitMs });
  if (status === 400) {
    // A message the registry refused at the edge; with a readable scope it was recorded as a failure too.
    const outcome = body['outcome'] as OutcomeAnswer | undefined;
    if (ctx.json) ctx.io.out(JSON.stringify(outcome ?? body, null, 2));
    const status = outcome?.type === 'RegistrationFailed' ? `${outcome.status}: ` : '';
    const reason = typeof body['reason'] === 'string' ? body['reason'] : 'the message was refused';
    throw new CliError(`${status}${reason}`);
  }
  const outcome = body as unknown as OutcomeAnswer;
  if (outcome.type === 'RegistrationFailed') {
    if (ctx.json) ctx.io.out(JSON.stringify(outcome, null, 2));
    throw new CliError(`${outcome.status}: ${outcome.reason}`);
  }
  await readYourWrite(ctx, outcome.position);
  return outcome;
}

/**
 * Waits until the read model shows the write, so that a `list` run right after this
 * command sees it. The outcome is published when the event is stored; the read model
 * follows the store a moment later.
 */
async function readYourWrite(ctx: Context, position: number): Promise<void> {
  try {
    await ctx.client.get('/v1/scopes', { minPosition: position, timeoutMs: 5000 });
  } catch (error) {
    ctx.io.err(`ifreg: warning: recorded at position ${position}, but reads may not show it yet (${error instanceof Error ? error.message : String(error)})`);
  }
}
