import { decide, streamNames, evolve, type Command, type RegistrarMessage, type RegistryEvent } from '@ifreg/domain';
import { decodeAgentMessage, SCHEMA_VERSION } from '@ifreg/contracts';
import { ConcurrencyError, type EventData, type EventStore } from '@ifreg/event-store';
import type { DeadLetter, DeadLetterPublisher, InboundMessage, Outcome, OutcomePublisher } from '@ifreg/messaging';
import type { Logger } from '@ifreg/platform';
import { eventIdFor } from './event-ids';
import type { ScopeCache } from './scope-cache';
import type { RegistrarMetrics } from './metrics';

interface Pending {
  readonly command: Command;
  readonly inbound: InboundMessage;
}

export interface RegistrarDeps {
  readonly store: EventStore;
  readonly scopes: ScopeCache;
  readonly outcomes: OutcomePublisher;
  readonly deadLetters: DeadLetterPublisher;
  readonly log: Logger;
  readonly metrics: RegistrarMetrics;
  /** The registrar's clock, stamped on each command (the domain has none). */
  readonly now: () => Date;
  readonly maxConcurrencyRetries?: number;
  /** Larger messages are dead-lettered unread (default DEFAULT_MAX_MESSAGE_BYTES of the contracts). */
  readonly maxMessageBytes?: number;
  /**
   * Waits before re-reading a scope after a conflict; jittered so that two instances racing
   * on one scope (a rebalance) stop meeting in the same group commit. Default: up to 2^attempt ms.
   */
  readonly backoff?: (attempt: number) => Promise<void>;
}

const jitteredBackoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** Math.min(attempt + 1, 8)));

/**
 * Read, fold, decide, append with the expected revision, then publish the outcomes.
 * The append is the only write; a batch is done only when every scope's append is durable,
 * so a transport may commit its offsets after `handleBatch` resolves.
 */
export class RegistrarService {
  constructor(private readonly deps: RegistrarDeps) {}

  async handleBatch(batch: readonly InboundMessage[]): Promise<void> {
    const receivedAt = this.deps.now().toISOString();
    const byScope = new Map<string, Pending[]>();
    const dead: DeadLetter[] = [];
    for (const inbound of batch) {
      const message = this.read(inbound, dead);
      if (!message) continue;
      const list = byScope.get(message.scope) ?? [];
      list.push({ command: { message, receivedAt }, inbound });
      byScope.set(message.scope, list);
    }
    if (dead.length > 0) await this.deps.deadLetters.deadLetter(dead);
    // Scopes are independent: no lock or ordering spans two of them.
    const outcomes = await Promise.all([...byScope].map(([scope, pending]) => this.handleScope(scope, pending)));
    await this.deps.outcomes.publish(outcomes.flat());
  }

  private read(inbound: InboundMessage, dead: DeadLetter[]): RegistrarMessage | undefined {
    const decoded = decodeAgentMessage(inbound.value, this.deps.maxMessageBytes === undefined ? {} : { maxBytes: this.deps.maxMessageBytes });
    if (decoded.kind === 'message') return decoded.message;
    if (decoded.kind === 'dead-letter') {
      this.deps.log.warn({ origin: inbound.origin, reason: decoded.reason }, 'dead-lettering unreadable message');
      this.deps.metrics.deadLetters.inc();
      dead.push({ reason: decoded.reason, message: inbound });
      return undefined;
    }
    this.deps.log.warn({ scope: decoded.scope, messageId: decoded.messageId, reason: decoded.reason }, 'rejecting invalid message');
    const { kind: _kind, ...rejected } = decoded;
    return { type: 'MessageRejected', ...rejected };
  }

  private async handleScope(scope: string, pending: readonly Pending[]): Promise<Outcome[]> {
    const retries = this.deps.maxConcurrencyRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.decideAndAppend(scope, pending);
      } catch (error) {
        this.deps.scopes.drop(scope);
        if (!(error instanceof ConcurrencyError) || attempt >= retries) throw error;
        this.deps.metrics.concurrencyRetries.inc();
        this.deps.log.info({ scope, attempt, err: error.message }, 'stream moved on, re-reading scope');
        await (this.deps.backoff ?? jitteredBackoff)(attempt);
      }
    }
  }

  private async decideAndAppend(scope: string, pending: readonly Pending[]): Promise<Outcome[]> {
    const loaded = await this.deps.scopes.get(scope);
    const toAppend: EventData[] = [];
    const answers: RegistryEvent[] = [];
    for (const { command, inbound } of pending) {
      const decision = decide(loaded.state, command);
      decision.events.forEach((event, seq) => {
        evolve(loaded.state, event);
        toAppend.push(this.toEventData(event, seq, command, inbound));
      });
      answers.push(decision.outcome);
      this.count(decision.outcome, decision.events.length === 0);
    }
    const stream = streamNames.registry(scope);
    const result =
      toAppend.length > 0
        ? await this.deps.store.append(stream, toAppend, loaded.revision)
        : { nextExpectedRevision: loaded.revision, position: await this.deps.store.headPosition() };
    if (result.nextExpectedRevision !== loaded.revision + toAppend.length) {
      // The store already held these event ids (another instance recorded the same messages
      // after a rebalance) and wrote nothing: our state is stale and our answers may differ
      // from the recorded ones. Re-read the stream and decide again.
      throw new ConcurrencyError(stream, loaded.revision, result.nextExpectedRevision);
    }
    loaded.revision = result.nextExpectedRevision;
    return answers.map((event) => ({ scope, event, position: result.position }));
  }

  private toEventData(event: RegistryEvent, seq: number, command: Command, inbound: InboundMessage): EventData {
    return {
      id: eventIdFor(command.message.scope, command.message.messageId, seq),
      type: event.type,
      data: event,
      metadata: {
        schemaVersion: SCHEMA_VERSION,
        causationId: command.message.messageId,
        correlationId: inbound.headers['correlationId'] ?? inbound.headers['ce_id'] ?? command.message.messageId,
        origin: inbound.origin,
      },
    };
  }

  private count(outcome: RegistryEvent, repeated: boolean): void {
    const status = outcome.type === 'RegistrationFailed' ? outcome.status : 'SUCCESS';
    this.deps.metrics.decisions.inc({ outcome: outcome.type, status, repeated: String(repeated) });
    if (outcome.type === 'RegistrationFailed' && !repeated) {
      this.deps.log.info(
        { scope: outcome.scope, causationId: outcome.causationId, status: outcome.status, reason: outcome.reason },
        'registration failed',
      );
    }
  }
}
