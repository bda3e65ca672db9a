import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ConfigError } from './config';
import { registerTracing, tracingRequested, type Tracing } from './tracing';

/**
 * A service's tracing, from the standard OTEL_* variables: nothing at all unless
 * OTEL_TRACES_EXPORTER=otlp (then OTLP over HTTP, OTEL_EXPORTER_OTLP_ENDPOINT and friends;
 * OTEL_TRACES_SAMPLER, e.g. parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=0.1).
 * Imported and called first in a main, before fastify is loaded: @fastify/otel then adds its
 * request spans (continuing an incoming traceparent) to every fastify instance made after.
 * What is still buffered is exported when the process has nothing left to do.
 */
export function startTracing(service: string, env: Readonly<Record<string, string | undefined>> = process.env): Tracing | undefined {
  if (!tracingRequested(env)) return undefined;
  if (env['OTEL_TRACES_EXPORTER'] !== 'otlp') throw new ConfigError([`OTEL_TRACES_EXPORTER '${env['OTEL_TRACES_EXPORTER']}' is not supported: otlp, none or unset (no tracing)`]);
  const tracing = registerTracing(service, new OTLPTraceExporter(), env);
  instrumentFastify(tracing);
  process.once('beforeExit', () => void tracing.shutdown());
  return tracing;
}

/** @fastify/otel on every fastify instance made from now on: a span per request, continuing its traceparent. */
export function instrumentFastify(tracing: Tracing): { disable(): void } {
  const http = new FastifyOtelInstrumentation({ registerOnInitialization: true });
  http.setTracerProvider(tracing.provider);
  http.enable();
  return http;
}
