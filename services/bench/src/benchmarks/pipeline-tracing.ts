import { summarize, type Figure } from '../measure';
import { capped, type BenchContext } from '../context';
import { otlpSink } from '../support/otlp-sink';
import { emptySamples, openRig, throughputRun, type ThroughputSamples } from './pipeline';

/** The registrar's sampling in each setting (OTEL_TRACES_SAMPLER_ARG of parentbased_traceidratio); undefined: tracing off. */
const SETTINGS: readonly { readonly label: string; readonly ratio: string | undefined }[] = [
  { label: 'off', ratio: undefined },
  { label: 'on at 10 %', ratio: '0.1' },
  { label: 'on at 100 %', ratio: '1' },
];

/**
 * The pipeline's sustained rate on SQLite with the registrar's tracing off, sampling 10 % and
 * 100 % of the detections (the bench's messages carry no traceparent, so the registrar's
 * sampler decides at the root), exporting OTLP/HTTP to a sink in this process. The settings
 * take turns, so that the machine's drift spreads over all three.
 */
export async function pipelineTracingBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const sink = await otlpSink();
  const { rig, close } = await openRig(ctx, 'sqlite');
  const samples = new Map<string, ThroughputSamples>(SETTINGS.map((s) => [s.label, emptySamples()]));
  try {
    const plan = capped(ctx, 3, 0);
    for (let round = 0; round < plan.warmup + plan.repeats; round++) {
      for (const { label, ratio } of SETTINGS) {
        rig.registrarEnv =
          ratio === undefined
            ? { ...ctx.registrarEnv }
            : { ...ctx.registrarEnv, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: ratio };
        const before = sink.bytes;
        await throughputRun(rig, samples.get(label) ?? emptySamples(), ctx.log);
        if (ratio !== undefined) ctx.log(`pipeline-tracing: ${label}, ${((sink.bytes - before) / 1e6).toFixed(1)} MB of OTLP exported`);
      }
    }
  } finally {
    rig.registrarEnv = {};
    await close();
    await sink.close();
  }
  const rates = (label: string): number[] => samples.get(label)?.pipeline ?? [];
  const cpu = (label: string): number[] => samples.get(label)?.registrarCpu ?? [];
  const off = rates('off');
  const offStore = samples.get('off')?.store ?? [];
  for (const { label } of SETTINGS) ctx.log(`pipeline-tracing: ${label}, the registrar's CPU per detection ${summarize(cpu(label)).median.toFixed(0)} µs`);
  return [
    {
      name: 'SQLite: detections Kafka → query API, sustained, tracing off',
      unit: 'detections/s',
      samples: off,
      baseline: { label: 'raw better-sqlite3 append of 500', samples: offStore },
      higherIsBetter: true,
    },
    ...SETTINGS.filter((s) => s.ratio !== undefined).map((s) => ({
      name: `SQLite: detections Kafka → query API, sustained, the registrar's tracing ${s.label}`,
      unit: 'detections/s',
      samples: rates(s.label),
      baseline: { label: 'tracing off, same run', samples: off },
      higherIsBetter: true,
    })),
  ];
}
