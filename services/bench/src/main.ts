import '@ifreg/platform/require-supported-node';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { BenchContext } from './context';
import type { Figure } from './measure';
import { line, writeResults } from './report';
import { domainBenchmark } from './benchmarks/domain';
import { memoryBenchmark } from './benchmarks/memory';
import { sqliteStoreBenchmark } from './benchmarks/store-sqlite';
import { postgresStoreBenchmark } from './benchmarks/store-postgres';
import { storeScaleOutBenchmark } from './benchmarks/store-scaleout';
import { pipelineBenchmark } from './benchmarks/pipeline';
import { pipelineTracingBenchmark } from './benchmarks/pipeline-tracing';
import { queryApiBenchmark } from './benchmarks/query-api';
import { rebuildBenchmark } from './benchmarks/rebuild';
import { historyBenchmark } from './benchmarks/history';
import { snapshotLatency } from './benchmarks/snapshot-latency';
import { registrarMemoryBenchmark } from './benchmarks/registrar-memory';
import { watchBenchmark } from './benchmarks/watch';
import { kafkaBroker, type KafkaBroker } from './support/kafka-broker';

type Bench = (ctx: BenchContext) => Promise<Figure[]>;

/** Every benchmark by name; `npm run bench -- <name>` runs one. */
const BENCHMARKS: Readonly<Record<string, Bench>> = {
  domain: domainBenchmark,
  'store-sqlite': sqliteStoreBenchmark,
  'store-postgres': postgresStoreBenchmark,
  'store-scaleout': storeScaleOutBenchmark,
  pipeline: pipelineBenchmark,
  'pipeline-tracing': pipelineTracingBenchmark,
  'query-api': queryApiBenchmark,
  rebuild: rebuildBenchmark,
  memory: (ctx) => memoryBenchmark(ctx),
  'registrar-memory': registrarMemoryBenchmark,
  watch: watchBenchmark,
  history: historyBenchmark,
  'snapshot-latency': async (ctx) => [await snapshotLatency(ctx)],
};

async function main(): Promise<void> {
  const program = new Command('ifreg-bench')
    .argument('[names...]', `benchmarks to run (default: all): ${Object.keys(BENCHMARKS).join(', ')}`)
    .option('--repeats <n>', 'measured repetitions', '5')
    .option('--warmup <n>', 'unmeasured repetitions first', '1')
    .option('--out <dir>', 'where the JSON and Markdown summaries go', 'bench-results')
    .option('--registrar-env <K=V,...>', 'variables for the registrars of the pipeline benchmarks (A/B runs of a setting)')
    .option('--stores <list>', 'the stores the pipeline benchmarks run on (default: sqlite,postgres)')
    .option('--cpu-prof <dir>', 'spawned services write V8 CPU profiles there (read them with services/bench/dist/cpuprofile-top.js)')
    .parse();
  const names = program.args.length > 0 ? program.args : Object.keys(BENCHMARKS);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) program.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const opts = program.opts<{ repeats: string; warmup: string; out: string; cpuProf?: string; registrarEnv?: string; stores?: string }>();
  const badStores = (opts.stores?.split(',') ?? []).filter((s) => s !== 'sqlite' && s !== 'postgres');
  if (badStores.length > 0) program.error(`unknown store(s) for --stores: ${badStores.join(', ')}; known: sqlite, postgres`);
  const tmp = mkdtempSync(join(tmpdir(), 'ifreg-bench-'));
  const log = (l: string): void => console.log(l);
  let broker: KafkaBroker | undefined;
  const ctx: BenchContext = {
    repeats: { warmup: Number(opts.warmup), repeats: Number(opts.repeats) },
    tmpDir: tmp,
    log,
    kafkaBrokers: () => (broker ??= kafkaBroker(log)).brokers,
    ...(opts.cpuProf === undefined ? {} : { cpuProfDir: resolve(opts.cpuProf) }),
    ...(opts.stores === undefined ? {} : { stores: opts.stores.split(',') }),
    ...(opts.registrarEnv === undefined ? {} : { registrarEnv: Object.fromEntries(opts.registrarEnv.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) }),
  };
  if (ctx.cpuProfDir !== undefined) mkdirSync(ctx.cpuProfDir, { recursive: true });
  const started = new Date();
  const results = new Map<string, Figure[]>();
  const failed: string[] = [];
  try {
    for (const name of names) {
      const t0 = Date.now();
      console.log(`\n== ${name}`);
      try {
        const figures = await (BENCHMARKS[name] as Bench)(ctx);
        results.set(name, figures);
        for (const f of figures) console.log(line(name, f));
      } catch (error) {
        // One benchmark failing (a server missing, a timeout) must not cost the others' figures.
        failed.push(name);
        console.error(`${name} FAILED:`, error);
      }
      console.log(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    broker?.release();
  }
  const seconds = ((Date.now() - started.getTime()) / 1000).toFixed(0);
  const file = await writeResults(opts.out, results, {
    started: started.toISOString(),
    node: process.version,
    cpus: String((await import('node:os')).cpus().length),
    repeats: `${ctx.repeats.warmup} warm-up + ${ctx.repeats.repeats} measured (capped for the long benchmarks, see their sources)`,
    'total time': `${seconds} s`,
    ...(failed.length > 0 ? { failed: failed.join(', ') } : {}),
  });
  console.log(`\nwritten ${file} and ${join(opts.out, 'latest.md')} (total ${seconds} s)`);
  if (failed.length > 0) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exit(1);
});
