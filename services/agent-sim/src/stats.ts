import type { Outcome } from '@ifreg/ports';
import type { Action, Expected, PlannedMessage, SentType } from './generator';
import type { InvalidKind } from './invalid';

export interface Mismatch {
  readonly messageId: string;
  readonly expected: string;
  readonly got: string;
  readonly reason?: string;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface OutcomeSummary {
  /** Messages sent that should get an outcome (all but the dead letters). */
  readonly expected: number;
  /** Of those, how many got at least one. */
  readonly received: number;
  readonly missing: number;
  /** Outcomes seen again for a message already answered (re-published after a redelivery). */
  readonly duplicates: number;
  /** First outcomes of another type or status than the plan expected. */
  readonly mismatched: number;
  /** Outcomes of messages this run did not send (other agents on the topic). */
  readonly foreign: number;
  readonly byType: Record<string, number>;
  /** RegistrationFailed by status. */
  readonly byStatus: Record<string, number>;
  /** A few examples of mismatches and missing outcomes, to start an investigation from. */
  readonly mismatches: readonly Mismatch[];
  readonly missingExamples: readonly string[];
}

export interface SentSummary {
  readonly total: number;
  readonly byType: Record<string, number>;
  readonly byAction: Record<string, number>;
  readonly invalid: { readonly total: number; readonly byKind: Record<string, number> };
}

const MAX_EXAMPLES = 10;
const describeExpected = (e: Expected): string => (e.type === 'RegistrationFailed' ? `${e.type} ${e.status}` : e.type);
const bump = <K extends string>(record: Partial<Record<K, number>>, key: K): void => void (record[key] = (record[key] ?? 0) + 1);

/**
 * Counts what was sent and matches outcomes to messages by causation id, measuring the
 * latency from the send to the first outcome.
 */
export class SimStats {
  private readonly sentByType: Partial<Record<SentType, number>> = {};
  private readonly sentByAction: Partial<Record<Action, number>> = {};
  private readonly invalidByKind: Partial<Record<InvalidKind, number>> = {};
  private sentTotal = 0;
  private invalidTotal = 0;
  private deadLetters = 0;
  /** Sent, not yet answered: expectation and send time. */
  private readonly awaiting = new Map<string, { readonly expected: Expected; readonly sentAt: number }>();
  private readonly answered = new Set<string>();
  private readonly deadLetterIds = new Set<string>();
  private readonly latencies: number[] = [];
  private readonly outcomesByType: Record<string, number> = {};
  private readonly outcomesByStatus: Record<string, number> = {};
  private readonly mismatchExamples: Mismatch[] = [];
  private expectedTotal = 0;
  private duplicates = 0;
  private mismatched = 0;
  private foreign = 0;

  constructor(private readonly trackOutcomes: boolean) {}

  /** Call before the message is handed to the producer, so a fast outcome finds it. */
  recordSent(message: PlannedMessage, at: number): void {
    this.sentTotal++;
    bump(this.sentByType, message.type);
    bump(this.sentByAction, message.action);
    if (message.invalid) {
      this.invalidTotal++;
      bump(this.invalidByKind, message.invalid);
    }
    if (message.expected.type === 'dead-letter') {
      this.deadLetters++;
      if (this.trackOutcomes) this.deadLetterIds.add(message.messageId);
      return;
    }
    this.expectedTotal++;
    if (this.trackOutcomes) this.awaiting.set(message.messageId, { expected: message.expected, sentAt: at });
  }

  recordOutcome({ event }: Outcome, at: number): void {
    const id = event.causationId;
    const waiting = this.awaiting.get(id);
    if (!waiting) {
      if (this.answered.has(id)) this.duplicates++;
      else if (this.deadLetterIds.has(id)) this.mismatch(id, 'no outcome (dead letter)', event);
      else this.foreign++;
      return;
    }
    this.awaiting.delete(id);
    this.answered.add(id);
    this.latencies.push(at - waiting.sentAt);
    bump(this.outcomesByType, event.type);
    if (event.type === 'RegistrationFailed') bump(this.outcomesByStatus, event.status);
    const { expected } = waiting;
    const fits = expected.type === event.type && (expected.type !== 'RegistrationFailed' || (event.type === 'RegistrationFailed' && event.status === expected.status));
    if (!fits) this.mismatch(id, describeExpected(expected), event);
  }

  get sent(): number {
    return this.sentTotal;
  }

  get outcomesReceived(): number {
    return this.answered.size;
  }

  /** Messages still waiting for their outcome. */
  get pending(): number {
    return this.awaiting.size;
  }

  sentSummary(): SentSummary {
    return {
      total: this.sentTotal,
      byType: { ...this.sentByType },
      byAction: { ...this.sentByAction },
      invalid: { total: this.invalidTotal, byKind: { ...this.invalidByKind } },
    };
  }

  get deadLettersExpected(): number {
    return this.deadLetters;
  }

  outcomeSummary(): OutcomeSummary {
    return {
      expected: this.expectedTotal,
      received: this.answered.size,
      missing: this.awaiting.size,
      duplicates: this.duplicates,
      mismatched: this.mismatched,
      foreign: this.foreign,
      byType: { ...this.outcomesByType },
      byStatus: { ...this.outcomesByStatus },
      mismatches: [...this.mismatchExamples],
      missingExamples: [...this.awaiting.keys()].slice(0, MAX_EXAMPLES),
    };
  }

  latency(): LatencySummary {
    return latencySummary(this.latencies);
  }

  private mismatch(messageId: string, expected: string, event: Outcome['event']): void {
    this.mismatched++;
    if (this.mismatchExamples.length >= MAX_EXAMPLES) return;
    const got = event.type === 'RegistrationFailed' ? `${event.type} ${event.status}` : event.type;
    this.mismatchExamples.push({ messageId, expected, got, ...(event.type === 'RegistrationFailed' ? { reason: event.reason } : {}) });
  }
}

/** Nearest-rank percentiles, in milliseconds rounded to 0.1. */
export function latencySummary(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => round(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(sorted[sorted.length - 1] ?? 0), mean: round(mean) };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
