import { decide, emptyReadModel, evolve, initialState, project, type Command, type RegistryEvent } from '@ifreg/domain';
import { perSecond, repeat, type Figure } from '../measure';
import type { BenchContext } from '../context';

const AT = '2026-11-24T12:00:00.000Z';
const detection = (i: number, scope = 's'): Command => ({
  message: { type: 'InterfaceDetected', messageId: `m${i}`, scope, providerId: 'bench', luid: { ifType: 6, netLuidIndex: i }, info: { friendlyName: `eth${i}` } },
  receivedAt: AT,
});

/** Fills one scope's 65,535 indexes through decide+evolve, then asks once more (RESOURCES). */
function fillScope(commands: readonly Command[]): { rate: number; events: RegistryEvent[] } {
  const state = initialState('s');
  const events: RegistryEvent[] = [];
  const started = process.hrtime.bigint();
  for (const command of commands) {
    const decision = decide(state, command);
    for (const event of decision.events) {
      evolve(state, event);
      events.push(event);
    }
  }
  const rate = perSecond(commands.length, started);
  if (events.at(-1)?.type !== 'RegistrationFailed') throw new Error('the 65,536th detection did not fail with RESOURCES');
  return { rate, events };
}

/** What every message costs before any rule: decoding it from JSON (the baseline). */
function decodeOnly(lines: readonly string[]): number {
  const started = process.hrtime.bigint();
  let kept = 0;
  for (const line of lines) kept += (JSON.parse(line) as { message: object }).message ? 1 : 0;
  if (kept !== lines.length) throw new Error('decode baseline lost messages');
  return perSecond(lines.length, started);
}

export async function domainBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const commands = Array.from({ length: 65_536 }, (_, i) => detection(i + 1));
  let events: RegistryEvent[] = [];
  const decisions = await repeat(() => {
    const run = fillScope(commands);
    events = run.events;
    return run.rate;
  }, ctx.repeats);
  const commandLines = commands.map((c) => JSON.stringify(c));
  const decoded = await repeat(() => decodeOnly(commandLines), ctx.repeats);

  const positioned = events.map((event, i) => ({ event, position: i + 1 }));
  const reducer = await repeat(() => {
    const model = emptyReadModel();
    const started = process.hrtime.bigint();
    for (const p of positioned) project(model, p);
    return perSecond(positioned.length, started);
  }, ctx.repeats);
  const eventLines = events.map((e) => JSON.stringify(e));
  const eventsDecoded = await repeat(() => decodeOnly(eventLines.map((l) => `{"message":${l}}`)), ctx.repeats);

  return [
    {
      name: 'decide+evolve, fill 65,535 indexes then RESOURCES',
      unit: 'decisions/s',
      samples: decisions,
      baseline: { label: 'JSON.parse of the same messages', samples: decoded },
      higherIsBetter: true,
      note: 'each decision validates the NET_LUID and NET_IF_INFORMATION and checks idempotency',
    },
    {
      name: 'projection reducer',
      unit: 'events/s',
      samples: reducer,
      baseline: { label: 'JSON.parse of the same events', samples: eventsDecoded },
      higherIsBetter: true,
    },
  ];
}
