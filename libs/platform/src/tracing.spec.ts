import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { ConfigError } from './config';
import { batchFromEnv, samplerFromEnv, tracingRequested } from './tracing';

const TRACE_ID = 'f'.repeat(32);
const decide = (env: Record<string, string>, parentSampled?: boolean) => {
  const ctx = parentSampled === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: 'a'.repeat(16), traceFlags: parentSampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true });
  return samplerFromEnv(env).shouldSample(ctx, TRACE_ID, 'x', SpanKind.CONSUMER, {}, []).decision;
};

describe('tracing settings (OTEL_* variables)', () => {
  it('is off unless an exporter is named, and OTEL_SDK_DISABLED=true turns it off', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('samples by ratio at the root and follows the parent below it (parentbased_traceidratio)', () => {
    const none = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' };
    const all = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' };
    expect(decide(none)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(all)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(none, true)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(all, false)).toBe(SamplingDecision.NOT_RECORD);
  });

  it('samples everything by default (parentbased_always_on) and refuses what it does not know', () => {
    expect(decide({})).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '10%' })).toThrow(ConfigError);
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(ConfigError);
  });

  it('sizes the batch span processor from OTEL_BSP_*', () => {
    expect(batchFromEnv({})).toEqual({});
    expect(batchFromEnv({ OTEL_BSP_MAX_QUEUE_SIZE: '65536', OTEL_BSP_SCHEDULE_DELAY: '500' })).toEqual({ maxQueueSize: 65536, scheduledDelayMillis: 500 });
    expect(() => batchFromEnv({ OTEL_BSP_MAX_QUEUE_SIZE: 'lots' })).toThrow(ConfigError);
  });
});
