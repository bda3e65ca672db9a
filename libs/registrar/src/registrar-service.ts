import { decide, streamNames, evolve, outcomeOf, type Command, type RegistrarMessage, type RegistryEvent } from '@ifreg/domain';
import { decodeAgentMessage, SCHEMA_VERSION } from '@ifreg/contracts';
import { ConcurrencyError, type EventData, type EventStore, type RecordedEvent } from '@ifreg/ports';
import { BatchRetryError, type DeadLetter, type DeadLetterPublisher, type HandledBatch, type InboundMessage, type Outcome, type OutcomePublisher } from '@ifreg/ports';
import { SpanKind, type Span, type Tracer } from '@opentelemetry/api';
import { activeTracer, contextFrom, retry, startChildSpan, traceCarrierOfSpan, type Logger } from '@ifreg/platform';
import { eventIdFor } from './event-ids';
import { fingerprintOf } from './fingerprint';
import { findRecorded } from './recorded-messages';
import type { LoadedScope, ScopeCache } from './scope-cache';
import type { RegistrarMetrics } from './metrics';

interface Pending {
  readonly command: Command;
  readonly inbound: InboundMessage;
  readonly fingerprint: string;
  /** The message's span, continuing the trace its headers carry (only while tracing). */
  readonly span?: Span;
}

interface ScopeResult {
  readonly outcomes: Outcome[];
  readonly retry: readonly Pending[];
  readonly error?: unknown;
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
  /**
   * How many times in a row a scope may fail for a transient reason before the failure counts
   * as lasting and its batch is split to find the message behind it. Default 8.
   */
  readonly maxTransientFailures?: number;
  /** Larger messages are dead-lettered unread (default DEFAULT_MAX_MESSAGE_BYTES of the contracts). */
  readonly maxMessageBytes?: number;
  /**
   * The pause before re-reading a scope after a conflict; jittered so that two instances racing
   * on one scope (a rebalance) stop meeting in the same group commit. Default: up to 2^attempt ms.
   */
  readonly backoffMs?: (attempt: number) => number;
  /** Spans per message (decode, decide, append, outcome); by default the process's tracer when it traces. */
  readonly tracer?: Tracer;
}

/** Competing writers of a scope spread out: up to 2, 4 … 256 ms. */
const jitteredDelayMs = (failures: number): number => Math.random() * 2 ** Math.min(failures + 1, 8);

const originAttributes = ({ origin }: InboundMessage): Record<string, string | number> => ({
  'messaging.system': origin.transport,
  ...(origin.topic === undefined ? {} : { 'messaging.destination.name': origin.topic }),
  ...(origin.partition === undefined ? {} : { 'messaging.destination.partition.id': String(origin.partition) }),
  ...(origin.offset === undefined ? {} : { 'messaging.kafka.offset': origin.offset }),
});

/** The error's message, with the store's detail when it gives one (PostgreSQL does). */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const detail = (error as { detail?: unknown }).detail;
  return typeof detail === 'string' && detail !== '' ? `${error.message} (${detail})` : error.message;
}

/**
 * Read, fold, decide, append with the expected revision, then publish the outcomes.
 * The append is the only write; a batch is done only when every scope's append is durable,
 * so a transport may commit its offsets after `handleBatch` resolves.
 *
 * No message can stop it (DESIGN §2.4): a message already recorded is answered from the
 * store; a scope that fails for a lasting reason is handled one message at a time, and the
 * message behind the failure is refused (or dead-lettered) with the reason; a transient
 * failure holds back only its scope (BatchRetryError).
 */
export class RegistrarService {
  private readonly transientFailures = new Map<string, number>();
  private readonly tracer: Tracer | undefined;

  constructor(private readonly deps: RegistrarDeps) {
    this.tracer = deps.tracer ?? activeTracer('ifreg-registrar');
  }

  /** Handles the batch and publishes its outcomes: resolves when they are acknowledged. */
  async handleBatch(batch: readonly InboundMessage[]): Promise<void> {
    await (await this.appendBatch(batch)).sent;
  }

  /**
   * Handles the batch: resolves once its events are appended, with `sent` for the outcomes and
   * dead letters still being published (a transport may fetch the next batch meanwhile, and
   * commits this one after `sent`). A batch with scopes to retry throws BatchRetryError once
   * the other scopes' outcomes are sent.
   */
  async appendBatch(batch: readonly InboundMessage[]): Promise<HandledBatch> {
    const receivedAt = this.deps.now().toISOString();
    const byScope = new Map<string, Pending[]>();
    const dead: DeadLetter[] = [];
    const spans: Span[] = [];
    for (const inbound of batch) {
      const span = this.tracer?.startSpan('registrar handle', { kind: SpanKind.CONSUMER, attributes: originAttributes(inbound) }, contextFrom(inbound.headers));
      if (span) spans.push(span);
      const message = span ? this.traced(span, 'decode', () => this.read(inbound, dead)) : this.read(inbound, dead);
      if (!message) continue;
      const list = byScope.get(message.scope) ?? [];
      list.push({ command: { message, receivedAt }, inbound, fingerprint: fingerprintOf(message), ...(span ? { span } : {}) });
      byScope.set(message.scope, list);
    }
    const endSpans = (): void => {
      for (const span of spans) span.end();
    };
    let results: ScopeResult[];
    try {
      // Scopes are independent: no lock or ordering spans two of them.
      results = await Promise.all([...byScope].map(([scope, pending]) => this.handleScope(scope, pending, dead)));
    } catch (error) {
      endSpans();
      throw error;
    }
    const sent = this.send(dead, results.flatMap((r) => r.outcomes));
    void sent.then(endSpans, endSpans);
    const retry = results.flatMap((r) => r.retry);
    if (retry.length > 0) {
      await sent;
      throw new BatchRetryError(retry.map((p) => p.inbound), results.find((r) => r.retry.length > 0)?.error);
    }
    return { sent };
  }

  private async send(dead: readonly DeadLetter[], outcomes: Outcome[]): Promise<void> {
    if (dead.length > 0) await this.deps.deadLetters.deadLetter(dead);
    await this.publish(outcomes);
  }

  /** Publishes the outcomes, each in a span of its message's trace whose context its record carries back. */
  private async publish(outcomes: Outcome[]): Promise<void> {
    const tracer = this.tracer;
    if (!tracer) return this.deps.outcomes.publish(outcomes);
    const spans = outcomes.map((o) => (o.trace ? startChildSpan(tracer, 'outcome publish', contextFrom(o.trace), { kind: SpanKind.PRODUCER }) : undefined));
    try {
      await this.deps.outcomes.publish(outcomes.map((o, i) => {
        const span = spans[i];
        return span ? { ...o, trace: traceCarrierOfSpan(span) } : o;
      }));
    } finally {
      for (const span of spans) span?.end();
    }
  }

  /** `fn` timed as a child span of `parent`. */
  private traced<T>(parent: Span, name: string, fn: () => T): T {
    // An unsampled message still passes its context on, but makes no child spans.
    if (!parent.isRecording()) return fn();
    const span = startChildSpan(this.tracer as Tracer, name, parent);
    try {
      return fn();
    } finally {
      span.end();
    }
  }

  private read(inbound: InboundMessage, dead: DeadLetter[]): RegistrarMessage | undefined {
    const decoded = decodeAgentMessage(inbound.value, this.deps.maxMessageBytes === undefined ? {} : { maxBytes: this.deps.maxMessageBytes });
    if (decoded.kind === 'message') return decoded.message;
    if (decoded.kind === 'dead-letter') {
      this.deadLetter(dead, inbound, decoded.reason, 'dead-lettering unreadable message');
      return undefined;
    }
    this.deps.log.warn({ scope: decoded.scope, messageId: decoded.messageId, reason: decoded.reason }, 'rejecting invalid message');
    const { kind: _kind, ...rejected } = decoded;
    return { type: 'MessageRejected', ...rejected };
  }

  private deadLetter(dead: DeadLetter[], inbound: InboundMessage, reason: string, msg: string): void {
    this.deps.log.warn({ origin: inbound.origin, reason }, msg);
    this.deps.metrics.deadLetters.inc();
    dead.push({ reason, message: inbound });
  }

  private async handleScope(scope: string, pending: readonly Pending[], dead: DeadLetter[]): Promise<ScopeResult> {
    try {
      const outcomes = await this.appendWithRetries(scope, pending);
      this.transientFailures.delete(scope);
      return { outcomes, retry: [] };
    } catch (error) {
      if (this.stillTransient(scope, error)) return this.holdBack(scope, pending, error);
      this.deps.log.warn({ scope, messages: pending.length, err: reasonOf(error) }, 'scope failed for a lasting reason: handling its messages one at a time');
      return this.oneAtATime(scope, pending, dead);
    }
  }

  /** A transient failure holds back the scope, until it has repeated too often to be one. */
  private stillTransient(scope: string, error: unknown): boolean {
    if (!this.deps.store.isTransient(error)) return false;
    const failures = (this.transientFailures.get(scope) ?? 0) + 1;
    this.transientFailures.set(scope, failures);
    return failures <= (this.deps.maxTransientFailures ?? 8);
  }

  private holdBack(scope: string, pending: readonly Pending[], error: unknown): ScopeResult {
    this.deps.metrics.scopeRetries.inc();
    this.deps.log.warn({ scope, messages: pending.length, err: reasonOf(error) }, 'transient failure: the scope is held back and retried');
    return { outcomes: [], retry: pending, error };
  }

  /**
   * Each message alone: the one whose handling fails again is refused as RegistrationFailed
   * INVALID_PARAMETER with the reason, or dead-lettered when even that cannot be recorded.
   * A failure that is transient for the store itself stops the split: the rest waits.
   */
  private async oneAtATime(scope: string, pending: readonly Pending[], dead: DeadLetter[]): Promise<ScopeResult> {
    const outcomes: Outcome[] = [];
    for (const [i, p] of pending.entries()) {
      try {
        outcomes.push(...(await this.appendWithRetries(scope, [p])));
        continue;
      } catch (error) {
        if (this.deps.store.isTransient(error) && pending.length > 1) return { outcomes, retry: pending.slice(i), error };
        const reason = `could not be recorded: ${reasonOf(error)}`;
        try {
          outcomes.push(...(await this.appendWithRetries(scope, [this.refusal(p, reason)])));
          this.deps.metrics.poisonMessages.inc({ result: 'refused' });
          this.deps.log.warn({ scope, messageId: p.command.message.messageId, reason }, 'message refused: its handling fails for a lasting reason');
        } catch (refusalError) {
          if (this.deps.store.isTransient(refusalError)) return { outcomes, retry: pending.slice(i), error: refusalError };
          this.deps.metrics.poisonMessages.inc({ result: 'dead-lettered' });
          this.deadLetter(dead, p.inbound, `${reason}; refusing it failed too: ${reasonOf(refusalError)}`, 'dead-lettering a message that can be neither recorded nor refused');
        }
      }
    }
    this.transientFailures.delete(scope);
    return { outcomes, retry: [] };
  }

  private refusal(p: Pending, reason: string): Pending {
    const { message } = p.command;
    const luid = 'luid' in message ? message.luid : undefined;
    const messageType = message.type === 'MessageRejected' ? message.messageType : message.type;
    const refused: RegistrarMessage = { type: 'MessageRejected', scope: message.scope, messageId: message.messageId, messageType, reason, ...(luid ? { luid } : {}) };
    return { ...p, command: { ...p.command, message: refused } };
  }

  private appendWithRetries(scope: string, pending: readonly Pending[]): Promise<Outcome[]> {
    const attempt = async (failures: number): Promise<Outcome[]> => {
      try {
        // After a conflict, ask the store about every message: some may be recorded now.
        return await this.decideAndAppend(scope, pending, failures > 0);
      } catch (error) {
        this.deps.scopes.drop(scope);
        throw error;
      }
    };
    return retry(attempt, {
      retries: this.deps.maxConcurrencyRetries ?? 5,
      retryIf: (error) => error instanceof ConcurrencyError,
      delayMs: this.deps.backoffMs ?? jitteredDelayMs,
      onRetry: (error, failures) => {
        this.deps.metrics.concurrencyRetries.inc();
        this.deps.log.info({ scope, attempt: failures, err: (error as Error).message }, 'stream moved on, re-reading scope');
      },
    });
  }

  private async decideAndAppend(scope: string, pending: readonly Pending[], askForAll: boolean): Promise<Outcome[]> {
    const loaded = await this.deps.scopes.get(scope);
    const stream = streamNames.registry(scope);
    const ids = pending.map((p) => p.command.message.messageId);
    const recorded = await findRecorded(this.deps.store, stream, loaded.state, ids, askForAll);
    const toAppend: EventData[] = [];
    const answers: RegistryEvent[] = [];
    // Each appended event's JSON, given to the store and reused for its outcome (a registration's outcome is its event).
    const jsonOf = new Map<RegistryEvent, string>();
    for (const p of pending) {
      const earlier = recorded.get(p.command.message.messageId);
      if (earlier) {
        answers.push(this.answerRecorded(loaded, p, earlier));
        continue;
      }
      const decision = p.span ? this.traced(p.span, 'decide', () => decide(loaded.state, p.command)) : decide(loaded.state, p.command);
      decision.events.forEach((event, seq) => {
        evolve(loaded.state, event);
        const data = this.toEventData(event, seq, p);
        if (data.dataJson !== undefined) jsonOf.set(event, data.dataJson);
        toAppend.push(data);
      });
      answers.push(decision.outcome);
      this.count(decision.outcome, decision.events.length === 0);
    }
    const tracer = this.tracer;
    const appendSpans = tracer && toAppend.length > 0 ? pending.flatMap((p) => (p.span?.isRecording() ? [startChildSpan(tracer, 'store append', p.span, { attributes: { 'ifreg.stream': stream, 'ifreg.events': toAppend.length } })] : [])) : [];
    let result: { nextExpectedRevision: number; position: number };
    try {
      result =
        toAppend.length > 0
          ? await this.deps.store.append(stream, toAppend, loaded.revision)
          : { nextExpectedRevision: loaded.revision, position: await this.deps.store.headPosition() };
    } finally {
      for (const span of appendSpans) span.end();
    }
    if (result.nextExpectedRevision !== loaded.revision + toAppend.length) {
      // The store already held these event ids and wrote nothing: our state is behind the
      // stream. Re-read it, ask the store about every message, and decide the rest again.
      throw new ConcurrencyError(stream, loaded.revision, result.nextExpectedRevision);
    }
    loaded.revision = result.nextExpectedRevision;
    this.deps.scopes.recount(scope);
    return answers.map((event, i) => {
      const span = pending[i]?.span;
      const eventJson = jsonOf.get(event);
      return { scope, event, position: result.position, ...(span ? { trace: traceCarrierOfSpan(span) } : {}), ...(eventJson === undefined ? {} : { eventJson }) };
    });
  }

  /** The recorded answer, never a second decision; a different fingerprint is an id re-used for other content. */
  private answerRecorded(loaded: LoadedScope, p: Pending, earlier: RecordedEvent): RegistryEvent {
    const { messageId } = p.command.message;
    const outcome = loaded.state.outcomes.get(messageId) ?? outcomeOf(loaded.state, earlier.data as RegistryEvent);
    const fingerprint = earlier.metadata['fingerprint'];
    if (typeof fingerprint === 'string' && fingerprint !== p.fingerprint) {
      this.deps.metrics.messageIdReuses.inc();
      this.deps.log.warn(
        { scope: loaded.state.scope, messageId, recordedAt: earlier.recordedAt, revision: earlier.revision },
        'message id re-used for different content: answered with what was recorded for it',
      );
    }
    this.count(outcome, true);
    return outcome;
  }

  private toEventData(event: RegistryEvent, seq: number, p: Pending): EventData {
    const { message } = p.command;
    return {
      id: eventIdFor(message.scope, message.messageId, seq),
      type: event.type,
      data: event,
      dataJson: JSON.stringify(event),
      metadata: {
        schemaVersion: SCHEMA_VERSION,
        causationId: message.messageId,
        correlationId: p.inbound.headers['correlationId'] ?? p.inbound.headers['ce_id'] ?? message.messageId,
        origin: p.inbound.origin,
        fingerprint: p.fingerprint,
        // The message's trace: a reader of the store (the query service) continues it.
        ...(p.span ? traceCarrierOfSpan(p.span) : {}),
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
