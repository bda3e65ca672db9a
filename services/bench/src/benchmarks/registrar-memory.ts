import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SERVICE_NODE_FLAGS } from '@ifreg/platform';
import type { Figure } from '../measure';
import { capped, type BenchContext } from '../context';
import { ROOT } from '../support/paths';

const run = promisify(execFile);
const SCOPES = 100_000;
const PER_SCOPE = 3;
/** The bound measured: a tenth of what 100,000 scopes of 3 interfaces and 3 outcomes hold. */
const BOUNDED_ENTRIES = 70_000;

interface ChildResult { rss: number; heapUsed: number; scopesCached: number; entriesCached: number; messages: number; seconds: number }

async function child(ctx: BenchContext, name: string, env: Record<string, string>): Promise<ChildResult> {
  const script = join(ROOT, 'services', 'bench', 'dist', 'registrar-memory-child.js');
  const { stdout } = await run(process.execPath, [...SERVICE_NODE_FLAGS, '--expose-gc', script], {
    env: { ...process.env, BENCH_DB: join(ctx.tmpDir, `${name}-${Date.now()}.db`), ...env },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildResult;
}

/**
 * The registrar's memory after 100,000 scopes (3 detections each), its scope cache bounded
 * (IFREG_REGISTRAR_CACHE_ENTRIES) and unbounded; baseline: the same process idle (no scope).
 */
export async function registrarMemoryBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const { repeats } = capped(ctx, 2, 0);
  const idle: number[] = [];
  const bounded: ChildResult[] = [];
  const unbounded: ChildResult[] = [];
  for (let r = 0; r < repeats; r++) {
    idle.push((await child(ctx, 'idle', { BENCH_SCOPES: '0' })).rss);
    bounded.push(await child(ctx, 'bounded', { BENCH_SCOPES: String(SCOPES), BENCH_PER_SCOPE: String(PER_SCOPE), BENCH_CACHE_ENTRIES: String(BOUNDED_ENTRIES) }));
    unbounded.push(await child(ctx, 'unbounded', { BENCH_SCOPES: String(SCOPES), BENCH_PER_SCOPE: String(PER_SCOPE), BENCH_CACHE_ENTRIES: '0' }));
  }
  const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
  const describe = (r: ChildResult | undefined): string =>
    r === undefined ? '' : `${r.scopesCached} scopes / ${r.entriesCached} entries cached, heap ${mib(r.heapUsed)} MiB, ${Math.round(r.messages / r.seconds)} msg/s`;
  return [
    {
      name: `RSS after ${SCOPES.toLocaleString('en')} scopes, cache bounded at ${BOUNDED_ENTRIES.toLocaleString('en')} entries`,
      unit: 'MiB',
      samples: bounded.map((r) => mib(r.rss)),
      baseline: { label: 'the same process idle', samples: idle.map(mib) },
      higherIsBetter: false,
      note: describe(bounded[0]),
    },
    {
      name: `RSS after ${SCOPES.toLocaleString('en')} scopes, cache unbounded`,
      unit: 'MiB',
      samples: unbounded.map((r) => mib(r.rss)),
      baseline: { label: 'the same process idle', samples: idle.map(mib) },
      higherIsBetter: false,
      note: describe(unbounded[0]),
    },
  ];
}
