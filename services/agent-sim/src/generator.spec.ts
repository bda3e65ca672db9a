import { decodeAgentMessage } from '@ifreg/contracts';
import { decide, evolve, initialState, luidHex, type RegistrarMessage, type RegistryState } from '@ifreg/domain';
import { simInterface } from './fleet';
import { MessagePlan, planMessages, type Expected, type PlanOptions, type PlannedMessage } from './generator';
import { INVALID_KINDS, UNREADABLE_SCOPE } from './invalid';

const options = (overrides: Partial<PlanOptions> = {}): PlanOptions => ({
  seed: 42,
  runId: 'run-1',
  scopes: 3,
  providers: 2,
  interfaces: 5,
  scopePrefix: 'sim',
  churn: 0.2,
  invalid: 0.1,
  invalidKinds: INVALID_KINDS,
  startTime: Date.parse('2026-11-24T12:00:00.000Z'),
  ...overrides,
});

const body = (m: PlannedMessage) => JSON.parse(m.value) as Record<string, unknown>;
const count = (messages: readonly PlannedMessage[], predicate: (m: PlannedMessage) => boolean) => messages.filter(predicate).length;

/** What the registry's own rules answer to each message, read the way the registrar reads it. */
function registryAnswers(messages: readonly PlannedMessage[]): Expected[] {
  const states = new Map<string, RegistryState>();
  return messages.map((m) => {
    const decoded = decodeAgentMessage(Buffer.from(m.value));
    if (decoded.kind === 'dead-letter') return { type: 'dead-letter' };
    const message: RegistrarMessage = decoded.kind === 'message' ? decoded.message : { type: 'MessageRejected', ...decoded };
    const state = states.get(message.scope) ?? initialState(message.scope);
    states.set(message.scope, state);
    const { events, outcome } = decide(state, { message, receivedAt: '2026-11-24T12:00:01.000Z' });
    for (const event of events) evolve(state, event);
    return outcome.type === 'RegistrationFailed' ? { type: outcome.type, status: outcome.status as 'INVALID_PARAMETER' } : { type: outcome.type as 'InterfaceRegistered' };
  });
}

describe('a plan made twice with the same options', () => {
  it('is the same messages in the same order', () => {
    expect(planMessages(options(), 500, true)).toEqual(planMessages(options(), 500, true));
  });

  it('differs with another seed, and the message ids carry the run id', () => {
    const a = planMessages(options(), 200);
    const b = planMessages(options({ seed: 43 }), 200);
    expect(a.map((m) => m.value)).not.toEqual(b.map((m) => m.value));
    expect(a.map((m) => m.messageId)).toEqual(a.map((_, n) => `run-1-${n}`));
  });
});

describe('the expectations of a plan with churn, invalid messages and boots', () => {
  it('are exactly what the registry rules decide for each message', () => {
    // given: a plan with BootEpochs in the middle, as the runner interleaves them
    const plan = new MessagePlan(options({ churn: 0.3, invalid: 0.15 }));
    const messages: PlannedMessage[] = plan.scopes.map((s) => plan.boot(s));
    for (let n = 0; n < 3_000; n++) {
      messages.push(plan.next());
      if (n % 700 === 699) messages.push(...plan.scopes.map((s) => plan.boot(s)));
    }
    // then
    expect(registryAnswers(messages)).toEqual(messages.map((m) => m.expected));
    expect(new Set(messages.map((m) => m.action))).toEqual(new Set(['boot', 'detect', 'redetect', 'reannounce', 'remove', 'invalid']));
  });
});

describe('the ratios of a long plan', () => {
  const steps = 20_000;
  const messages = planMessages(options({ churn: 0.2, invalid: 0.1 }), steps);

  it('send about the asked fraction of invalid messages, of every kind', () => {
    const invalid = count(messages, (m) => m.invalid !== undefined);
    expect(invalid / steps).toBeGreaterThan(0.09);
    expect(invalid / steps).toBeLessThan(0.11);
    for (const kind of INVALID_KINDS) {
      const share = count(messages, (m) => m.invalid === kind) / invalid;
      expect(share).toBeGreaterThan(0.15);
      expect(share).toBeLessThan(0.25);
    }
  });

  it('remove about the asked fraction of the valid steps', () => {
    const valid = count(messages, (m) => m.invalid === undefined);
    const removals = count(messages, (m) => m.action === 'remove');
    expect(removals / valid).toBeGreaterThan(0.18);
    expect(removals / valid).toBeLessThan(0.22);
  });

  it('send no invalid message and remove nothing when both ratios are 0', () => {
    const plain = planMessages(options({ churn: 0, invalid: 0 }), 1_000);
    expect(count(plain, (m) => m.invalid !== undefined || m.action === 'remove')).toBe(0);
    // 30 interfaces detected once, then announced again by their restarting agents
    expect(count(plain, (m) => m.action === 'detect')).toBe(30);
    expect(count(plain, (m) => m.action === 'reannounce')).toBe(970);
  });
});

describe('the simulated interfaces', () => {
  it('have LUIDs unique per provider and within a scope, and the same description every time', () => {
    const o = options({ providers: 7, interfaces: 40 });
    for (let scope = 0; scope < o.scopes; scope++) {
      const all = Array.from({ length: o.providers * o.interfaces }, (_, ordinal) => simInterface(o, scope, ordinal));
      expect(new Set(all.map((i) => luidHex(i.luid))).size).toBe(all.length);
      expect(new Set(all.map((i) => i.providerId)).size).toBe(o.providers);
      expect(all.every((i) => i.luid.netLuidIndex < 2 ** 24)).toBe(true);
      expect(simInterface(o, scope, 17)).toEqual(all[17]);
    }
  });
});

describe('an interface removed by churn', () => {
  it('is detected again later with the same LUID, provider and information', () => {
    const messages = planMessages(options({ churn: 0.3, invalid: 0 }), 2_000);
    const removals = messages.filter((m) => m.action === 'remove');
    expect(removals.length).toBeGreaterThan(100);
    let redetected = 0;
    for (const removal of removals) {
      const again = messages.find((m) => m.seq > removal.seq && m.scope === removal.scope && m.action === 'redetect' && luidHex(m.luid!) === luidHex(removal.luid!));
      if (!again) continue;
      redetected++;
      const first = messages.find((m) => m.action === 'detect' && m.scope === removal.scope && luidHex(m.luid!) === luidHex(removal.luid!))!;
      const { messageId: _a, detectedAt: _b, ...same } = body(first);
      expect(body(again)).toMatchObject(same);
      expect(body(removal)).toMatchObject({ providerId: same['providerId'], luid: same['luid'] });
    }
    // all but those removed near the end come back
    expect(redetected / removals.length).toBeGreaterThan(0.9);
  });
});

describe('spoiled messages', () => {
  const messages = planMessages(options({ invalid: 1 }), 500);
  const of = (kind: string) => messages.filter((m) => m.invalid === kind);

  it('keep the real scope as Kafka key, so they stay in their scope’s order', () => {
    expect(messages.every((m) => m.key === m.scope && m.scope.startsWith('sim-'))).toBe(true);
  });

  it('that cannot be read are expected as dead letters, the others as INVALID_PARAMETER', () => {
    expect(of('not-json').every((m) => m.expected.type === 'dead-letter')).toBe(true);
    expect(() => JSON.parse(of('not-json')[0]!.value)).toThrow();
    expect(of('bad-scope').every((m) => m.expected.type === 'dead-letter' && body(m)['scope'] === UNREADABLE_SCOPE)).toBe(true);
    expect(of('bad-luid-index').map((m) => (body(m)['luid'] as { netLuidIndex: number }).netLuidIndex)).toContain(2 ** 24);
    for (const kind of ['bad-luid-index', 'bad-mac', 'unknown-field']) {
      expect(of(kind).every((m) => m.expected.type === 'RegistrationFailed')).toBe(true);
    }
  });

  it('change nothing: without them the plan registers nothing', () => {
    expect(messages.filter((m) => m.invalid === undefined)).toEqual([]);
  });
});

describe('options out of range', () => {
  it('are refused with every problem named', () => {
    expect(() => new MessagePlan(options({ churn: 1.5, scopes: 0, scopePrefix: 'a b' }))).toThrow(
      'scopes must be a positive integer; churn must be between 0 and 1; scopePrefix must be 1-48 characters of [A-Za-z0-9._-]',
    );
  });
});
