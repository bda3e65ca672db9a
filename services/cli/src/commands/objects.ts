import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { scope } from '../args';
import { contextOf, type Context, type Io } from '../context';
import { CliError } from '../errors';
import { segment } from '../http-client';
import { findInterface, interfaceRefKind } from './read';

/** The answer of GET/PUT …/objects/{oid}. */
export interface ObjectAnswer {
  readonly scope: string;
  readonly ifIndex: number;
  readonly luid: { readonly name: string };
  readonly providerId: string;
  readonly oid: { readonly hex: string; readonly name?: string };
  readonly status: string;
  readonly value?: unknown;
  readonly reason?: string;
  readonly requestId?: string;
  readonly repeated?: boolean;
}

/** `ifreg set <scope> <interface> <oid> <value>`: ProviderSetObject through the registry. */
export function registerObjectCommands(program: Command, io: Io): void {
  program
    .command('set')
    .description('set an interface object through its provider (OID_GEN_ALIAS, OID_GEN_ADMIN_STATUS…); recorded in its history')
    .argument('<scope>', 'the scope, e.g. local', scope)
    .argument('<interface>', 'an ifIndex, a NET_LUID (0x… or ethernet_32768) or a friendly name (eth0)')
    .argument('<oid>', 'the object, e.g. OID_GEN_ALIAS or 0x00010289')
    .argument('<value>', 'its new value: JSON (2, "text", true), or else taken as text (down, uplink)')
    .option('--request-id <id>', 'the set\'s id: run again with the same one and it is not applied twice (default: a new one)')
    .action(async (name: string, ref: string, oid: string, text: string, o: { requestId?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const requestId = o.requestId ?? `cli-${randomUUID()}`;
      const answer = await ctx.client.put<ObjectAnswer>(`${await objectPath(ctx, name, ref)}/objects/${segment(oid)}`, { value: parseValue(text), requestId }, { timeoutMs: waitOf(ctx) });
      show(ctx, answer);
    });
}

/** `ifreg get <scope> <interface> <oid>`: ProviderQueryObject through the registry. */
export async function queryObject(ctx: Context, name: string, ref: string, oid: string): Promise<void> {
  const answer = await ctx.client.get<ObjectAnswer>(`${await objectPath(ctx, name, ref)}/objects/${segment(oid)}`, { timeoutMs: waitOf(ctx) });
  show(ctx, answer);
}

/** The service's wait ends before our request's timeout, so its 504 (with a reason) arrives. */
const waitOf = (ctx: Context): number => Math.max(1, Math.min(60_000, ctx.timeoutMs - 500));

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The interface's path by ifIndex or LUID; a friendly name is looked up first. */
async function objectPath(ctx: Context, name: string, ref: string): Promise<string> {
  const base = `/v1/scopes/${segment(name)}`;
  switch (interfaceRefKind(ref)) {
    case 'ifIndex':
      return `${base}/interfaces/${segment(ref)}`;
    case 'luid':
      return `${base}/luids/${segment(ref)}`;
    case 'name':
      return `${base}/interfaces/${(await findInterface(ctx, name, ref, undefined)).ifIndex}`;
  }
}

/** The value and status; a status other than SUCCESS ends the command with exit code 1. */
function show(ctx: Context, answer: ObjectAnswer): void {
  const oid = answer.oid.name ?? answer.oid.hex;
  ctx.show(answer, () => {
    const value = answer.value === undefined ? '' : typeof answer.value === 'string' ? answer.value : JSON.stringify(answer.value, null, 2);
    const head = `${oid} of ${answer.luid.name} (ifIndex ${answer.ifIndex}, ${answer.providerId}): ${answer.status}`;
    const note = answer.repeated ? ` (request ${answer.requestId} was answered before; not applied again)` : '';
    return answer.status === 'SUCCESS' ? `${head}${note}\n${value}` : `${head}${note}`;
  });
  if (answer.status !== 'SUCCESS') throw new CliError(`${answer.status}: ${answer.reason ?? 'no reason given'}`);
}
