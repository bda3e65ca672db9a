import { SCHEMA_VERSION, type ObjectReply, type ObjectRequest } from '@ifreg/contracts';
import { MAX_OBJECT_VALUE_BYTES, OBJECT_STATUSES, jsonSize, oidLabel } from '@ifreg/domain';
import type { Logger } from '@ifreg/platform';
import type { ProviderObjectChannel } from './object-channel';
import type { ObjectAnswer, ObjectHandlers } from './object-handlers';

export interface ObjectServerOptions {
  readonly scope: string;
  readonly providerId: string;
  readonly channel: ProviderObjectChannel;
  readonly handlers: ObjectHandlers;
  readonly log: Logger;
  /** Answers of recent sets kept by request id, so a retry is answered, not applied again (default 1,000). */
  readonly setWindow?: number;
  /** Requests handled at once; more are answered RESOURCES at once (default 64). */
  readonly maxInFlight?: number;
  readonly now?: () => Date;
}

/**
 * Serves a provider's interface objects: each request of its scope and provider id goes to
 * its handlers with the ProviderIfContext of the interface, and the answer goes back. A set
 * retried with the same request id is answered from the window instead of applied again.
 * A handler that throws answers FAILURE with the error; one that answers garbage, FAILURE too.
 */
export class ObjectServer {
  private readonly sets = new Map<string, Promise<ObjectAnswer>>();
  private inFlight = 0;
  private readonly now: () => Date;
  /** Requests answered, by status (for the agent's metrics and tests). */
  readonly answered = new Map<string, number>();

  constructor(private readonly options: ObjectServerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  start(): Promise<void> {
    return this.options.channel.open((request) => void this.handle(request));
  }

  stop(): Promise<void> {
    return this.options.channel.close();
  }

  private async handle(request: ObjectRequest): Promise<void> {
    const { scope, providerId, log } = this.options;
    if (request.scope !== scope || request.providerId !== providerId) return;
    if (Date.parse(request.deadline) < this.now().getTime()) {
      log.debug({ requestId: request.requestId, deadline: request.deadline }, 'object request past its deadline, dropped');
      return;
    }
    let answer: ObjectAnswer;
    if (this.inFlight >= (this.options.maxInFlight ?? 64)) {
      answer = { status: 'RESOURCES', reason: `${this.inFlight} object requests are already being answered by ${providerId}` };
    } else {
      this.inFlight++;
      try {
        answer = checked(await this.answer(request));
      } finally {
        this.inFlight--;
      }
    }
    this.answered.set(answer.status, (this.answered.get(answer.status) ?? 0) + 1);
    const reply: ObjectReply = {
      type: 'ObjectReply',
      schemaVersion: SCHEMA_VERSION,
      requestId: request.requestId,
      scope: request.scope,
      providerId: request.providerId,
      providerIfContext: request.providerIfContext,
      oid: request.oid.value,
      status: answer.status,
      ...(answer.value === undefined ? {} : { value: answer.value }),
      ...(answer.reason === undefined ? {} : { reason: answer.reason.slice(0, 1024) }),
    };
    try {
      await this.options.channel.reply(request, reply);
    } catch (error) {
      log.warn({ err: error, requestId: request.requestId }, 'could not send an object reply');
    }
  }

  private answer(request: ObjectRequest): Promise<ObjectAnswer> {
    const query = { scope: request.scope, ifIndex: request.ifIndex, luid: request.luid, providerIfContext: request.providerIfContext, oid: request.oid, requestId: request.requestId };
    if (request.operation === 'query') return call(() => this.options.handlers.queryObject(query));
    const setObject = this.options.handlers.setObject;
    if (!setObject) return Promise.resolve({ status: 'NOT_SUPPORTED', reason: `${this.options.providerId} answers no sets` });
    const id = request.setRequestId ?? request.requestId;
    const known = this.sets.get(id);
    if (known) return known;
    const answer = call(() => setObject({ ...query, value: request.value, setRequestId: id, ...(request.caller === undefined ? {} : { caller: request.caller }) }));
    this.sets.set(id, answer);
    const window = this.options.setWindow ?? 1000;
    if (this.sets.size > window) this.sets.delete(this.sets.keys().next().value as string);
    this.options.log.info({ ifIndex: request.ifIndex, oid: oidLabel(request.oid), setRequestId: id, caller: request.caller }, 'object set requested');
    return answer;
  }
}

async function call(handler: () => Promise<ObjectAnswer> | ObjectAnswer): Promise<ObjectAnswer> {
  try {
    return await handler();
  } catch (error) {
    return { status: 'FAILURE', reason: `the provider's handler failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** A handler's answer as the wire takes it, or FAILURE saying what was wrong with it. */
function checked(answer: ObjectAnswer | undefined): ObjectAnswer {
  if (!answer || !(OBJECT_STATUSES as readonly string[]).includes(answer.status)) {
    return { status: 'FAILURE', reason: `the provider's handler answered no NDIS status (${JSON.stringify(answer?.status)})` };
  }
  const size = answer.value === undefined ? 0 : jsonSize(answer.value);
  if (size === undefined || size > MAX_OBJECT_VALUE_BYTES) return { status: 'FAILURE', reason: `the provider's answer is not JSON of at most ${MAX_OBJECT_VALUE_BYTES} bytes` };
  return answer;
}
