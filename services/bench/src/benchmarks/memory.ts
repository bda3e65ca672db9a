import { decide, emptyReadModel, evolve, initialState, project, type RegistryEvent } from '@ifreg/domain';
import type { Figure } from '../measure';
import type { BenchContext } from '../context';

const PER_SCOPE = 65_535;

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Bytes of heap per registered interface in the read model, at 65,535 × `scopes`. */
export async function memoryBenchmark(ctx: BenchContext, scopes = 4): Promise<Figure[]> {
  const events: RegistryEvent[] = [];
  for (let s = 0; s < scopes; s++) {
    const state = initialState(`scope-${s}`);
    for (let i = 1; i <= PER_SCOPE; i++) {
      const decision = decide(state, {
        message: { type: 'InterfaceDetected', messageId: `s${s}-m${i}`, scope: `scope-${s}`, providerId: 'bench', luid: { ifType: 6, netLuidIndex: i }, info: { friendlyName: `eth${i}`, physAddress: '02:42:ac:11:00:02' } },
        receivedAt: '2026-11-24T12:00:00.000Z',
      });
      for (const event of decision.events) {
        evolve(state, event);
        events.push(event);
      }
    }
  }
  // The read model gets fresh objects, as when it reads the store; nothing is shared.
  const lines = events.map((event) => JSON.stringify(event));
  events.length = 0;
  const count = lines.length;
  const ours: number[] = [];
  const naive: number[] = [];
  // `keep` holds what is measured until after the measurement, so no GC frees it early.
  const bytesPer = (build: () => unknown): number => {
    const keep: unknown[] = [];
    const before = heapAfterGc();
    keep.push(build());
    const bytes = (heapAfterGc() - before) / count;
    keep.length = 0;
    return bytes;
  };
  for (let r = 0; r < ctx.repeats.repeats; r++) {
    ours.push(
      bytesPer(() => {
        const model = emptyReadModel();
        lines.forEach((line, i) => project(model, { event: JSON.parse(line) as RegistryEvent, position: i + 1 }));
        if (model.scopes.size !== scopes) throw new Error('read model incomplete');
        return model;
      }),
    );
    // Baseline: a cache of each event's JSON text, what a naive read model would keep.
    naive.push(bytesPer(() => new Map(lines.map((line, i) => [i, JSON.stringify(JSON.parse(line))]))));
  }
  ctx.log(`memory: ${count.toLocaleString('en-US')} interfaces over ${scopes} scopes`);
  return [
    {
      name: `read model heap per interface (65,535 × ${scopes} scopes)`,
      unit: 'bytes',
      samples: ours,
      baseline: { label: 'a Map of the events as JSON strings', samples: naive },
      higherIsBetter: false,
      limit: 1024,
    },
  ];
}
