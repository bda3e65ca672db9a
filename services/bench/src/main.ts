import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { BenchContext } from './context';
import type { Figure } from './measure';
import { line, writeResults } from './report';
import { domainBenchmark } from './benchmarks/domain';
import { memoryBenchmark } from './benchmarks/memory';
import { sqliteStoreBenchmark } from './benchmarks/store-sqlite';

type Bench = (ctx: BenchContext) => Promise<Figure[]>;

/** Every benchmark by name; `npm run bench -- <name>` runs one. */
const BENCHMARKS: Readonly<Record<string, Bench>> = {
  domain: domainBenchmark,
  'store-sqlite': sqliteStoreBenchmark,
  memory: (ctx) => memoryBenchmark(ctx),
};

async function main(): Promise<void> {
  const program = new Command('ifreg-bench')
    .argument('[names...]', `benchmarks to run (default: all): ${Object.keys(BENCHMARKS).join(', ')}`)
    .option('--repeats <n>', 'measured repetitions', '5')
    .option('--warmup <n>', 'unmeasured repetitions first', '1')
    .option('--out <dir>', 'where the JSON and Markdown summaries go', 'bench-results')
    .parse();
  const names = program.args.length > 0 ? program.args : Object.keys(BENCHMARKS);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) program.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const opts = program.opts<{ repeats: string; warmup: string; out: string }>();
  const tmp = mkdtempSync(join(tmpdir(), 'ifreg-bench-'));
  const ctx: BenchContext = { repeats: { warmup: Number(opts.warmup), repeats: Number(opts.repeats) }, tmpDir: tmp, log: (l) => console.log(l) };
  const started = new Date();
  const results = new Map<string, Figure[]>();
  try {
    for (const name of names) {
      const t0 = Date.now();
      console.log(`\n== ${name}`);
      const figures = await (BENCHMARKS[name] as Bench)(ctx);
      results.set(name, figures);
      for (const f of figures) console.log(line(name, f));
      console.log(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const file = await writeResults(opts.out, results, {
    started: started.toISOString(),
    node: process.version,
    cpus: String((await import('node:os')).cpus().length),
    repeats: `${ctx.repeats.warmup} warm-up + ${ctx.repeats.repeats} measured`,
  });
  console.log(`\nwritten ${file} and ${join(opts.out, 'latest.md')}`);
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exit(1);
});
