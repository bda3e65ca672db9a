import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, TracerProvider, type Sampler, type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { ConfigError } from './config';
import { markTracing } from './trace-context';

/** A running tracer provider; `shutdown` exports what is left. */
export interface Tracing {
  readonly provider: TracerProvider;
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG as the OpenTelemetry specification names them. */
export function samplerFromEnv(env: Env): Sampler {
  const name = env['OTEL_TRACES_SAMPLER'] ?? 'parentbased_always_on';
  const raw = env['OTEL_TRACES_SAMPLER_ARG'];
  const ratio = (): TraceIdRatioBasedSampler => {
    const value = raw === undefined ? 1 : Number(raw);
    if (!(value >= 0 && value <= 1)) throw new ConfigError([`OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, not '${raw}'`]);
    return new TraceIdRatioBasedSampler(value);
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      throw new ConfigError([`OTEL_TRACES_SAMPLER '${name}' is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio`]);
  }
}

/** OTEL_BSP_* (the batch span processor's queue, batch, delay and timeout), which this SDK line leaves to its caller. */
export function batchFromEnv(env: Env): { maxQueueSize?: number; maxExportBatchSize?: number; scheduledDelayMillis?: number; exportTimeoutMillis?: number } {
  const out: Record<string, number> = {};
  const names = { OTEL_BSP_MAX_QUEUE_SIZE: 'maxQueueSize', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 'maxExportBatchSize', OTEL_BSP_SCHEDULE_DELAY: 'scheduledDelayMillis', OTEL_BSP_EXPORT_TIMEOUT: 'exportTimeoutMillis' } as const;
  for (const [variable, option] of Object.entries(names)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new ConfigError([`${variable} must be a positive integer, not '${raw}'`]);
    out[option] = value;
  }
  return out;
}

/**
 * Whether the environment asks for traces: off by default, on when OTEL_TRACES_EXPORTER names
 * an exporter (`otlp`) and OTEL_SDK_DISABLED is not `true`.
 */
export function tracingRequested(env: Env): boolean {
  const exporter = env['OTEL_TRACES_EXPORTER'];
  return env['OTEL_SDK_DISABLED'] !== 'true' && exporter !== undefined && exporter !== '' && exporter !== 'none';
}

/**
 * Registers a global tracer provider (W3C trace context and baggage propagation, async-hooks
 * context) exporting through `exporter`; the caller starts it before anything it traces.
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the resource, else `service`.
 */
export function registerTracing(service: string, exporter: SpanExporter, env: Env = process.env, options: { readonly batch?: boolean } = {}): Tracing {
  const resource = defaultResource().merge(resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] ?? service }));
  // Batching is the only sane export in production; a test's in-memory exporter wants each span at once.
  const processor = options.batch === false ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter, ...batchFromEnv(env) });
  const provider = new TracerProvider({ resource, sampler: samplerFromEnv(env), spanProcessors: [processor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);
  markTracing(true);
  return {
    provider,
    shutdown: async () => {
      markTracing(false);
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
