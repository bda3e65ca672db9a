import type { Outcome } from '@ifreg/ports';
import { planMessages, type PlannedMessage } from './generator';
import { INVALID_KINDS } from './invalid';
import { latencySummary, SimStats } from './stats';

const at = '2026-11-24T12:00:00.000Z';
const registered = (causationId: string): Outcome => ({
  scope: 'sim-0',
  position: 1,
  event: {
    type: 'InterfaceRegistered', scope: 'sim-0', epoch: 1, ifIndex: 1, luid: { ifType: 6, netLuidIndex: 1 }, providerId: 'p', providerIfContext: '',
    info: {} as never, causationId, at,
  },
});
const failed = (causationId: string, status: 'INVALID_PARAMETER' | 'INTERFACE_EXISTS'): Outcome => ({
  scope: 'sim-0',
  position: 2,
  event: { type: 'RegistrationFailed', scope: 'sim-0', epoch: 1, messageType: 'InterfaceDetected', status, reason: 'because', causationId, at },
});

const plan = (): PlannedMessage[] =>
  planMessages({ seed: 7, runId: 'r', scopes: 1, providers: 1, interfaces: 3, scopePrefix: 'sim', churn: 0, invalid: 0, invalidKinds: INVALID_KINDS, startTime: 0 }, 3);

describe('outcomes matched by causation id', () => {
  it('count the first outcome of each message with its latency, and later copies as duplicates', () => {
    const stats = new SimStats(true);
    const [a, b, c] = plan() as [PlannedMessage, PlannedMessage, PlannedMessage];
    for (const m of [a, b, c]) stats.recordSent(m, 1_000);
    stats.recordOutcome(registered(a.messageId), 1_010);
    stats.recordOutcome(registered(b.messageId), 1_030);
    stats.recordOutcome(registered(a.messageId), 1_050);
    stats.recordOutcome(registered('someone-else'), 1_060);
    expect(stats.pending).toBe(1);
    expect(stats.outcomeSummary()).toMatchObject({
      expected: 3, received: 2, missing: 1, duplicates: 1, foreign: 1, mismatched: 0, byType: { InterfaceRegistered: 2 }, missingExamples: [c.messageId],
    });
    expect(stats.latency()).toMatchObject({ count: 2, p50: 10, max: 30 });
  });

  it('report an outcome of another type or status than expected as a mismatch, with the reason', () => {
    const stats = new SimStats(true);
    const [a] = plan() as [PlannedMessage];
    stats.recordSent(a, 0);
    stats.recordOutcome(failed(a.messageId, 'INTERFACE_EXISTS'), 5);
    expect(stats.outcomeSummary()).toMatchObject({
      mismatched: 1,
      byStatus: { INTERFACE_EXISTS: 1 },
      mismatches: [{ messageId: a.messageId, expected: 'InterfaceRegistered', got: 'RegistrationFailed INTERFACE_EXISTS', reason: 'because' }],
    });
  });

  it('expect no outcome for a message that should be a dead letter, and flag one that gets one', () => {
    const stats = new SimStats(true);
    const [a] = plan() as [PlannedMessage];
    const dead: PlannedMessage = { ...a, invalid: 'not-json', expected: { type: 'dead-letter' } };
    stats.recordSent(dead, 0);
    expect(stats.pending).toBe(0);
    expect(stats.deadLettersExpected).toBe(1);
    expect(stats.sentSummary()).toEqual({ total: 1, byType: { InterfaceDetected: 1 }, byAction: { detect: 1 }, invalid: { total: 1, byKind: { 'not-json': 1 } } });
    stats.recordOutcome(failed(a.messageId, 'INVALID_PARAMETER'), 1);
    expect(stats.outcomeSummary().mismatches).toEqual([{ messageId: a.messageId, expected: 'no outcome (dead letter)', got: 'RegistrationFailed INVALID_PARAMETER', reason: 'because' }]);
  });
});

describe('latency percentiles', () => {
  it('are nearest-rank over the samples', () => {
    const samples = Array.from({ length: 100 }, (_, n) => n + 1);
    expect(latencySummary(samples)).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 });
    expect(latencySummary([])).toEqual({ count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 });
  });
});
