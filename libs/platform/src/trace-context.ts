import { ROOT_CONTEXT, context, propagation, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';

/** W3C trace context as text fields (`traceparent`, `tracestate`): Kafka headers, HTTP headers, event metadata. */
export type TraceCarrier = Readonly<Record<string, string>>;

let tracing = false;

/** Called by registerTracing: from then on, activeTracer answers a tracer. */
export function markTracing(on: boolean): void {
  tracing = on;
}

/**
 * The named tracer when this process traces (registerTracing ran), else undefined: code that
 * traces checks for one, so a process without tracing makes no span objects per message.
 */
export function activeTracer(name: string): Tracer | undefined {
  return tracing ? trace.getTracer(name) : undefined;
}

/** The fields that carry `ctx` (by default the active context) on: empty when nothing traces. */
export function traceCarrierOf(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  if (tracing) propagation.inject(ctx, carrier);
  return carrier;
}

/** The context a carrier (headers or metadata) holds; the root context when it holds none. */
export function contextFrom(carrier: Readonly<Record<string, unknown>> | undefined): Context {
  if (!tracing || carrier === undefined || typeof carrier['traceparent'] !== 'string') return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** A span whose parent is `parent` (a span or a context). */
export function startChildSpan(tracer: Tracer, name: string, parent: Span | Context, options: SpanOptions = {}): Span {
  const ctx = 'spanContext' in parent ? trace.setSpan(ROOT_CONTEXT, parent) : parent;
  return tracer.startSpan(name, options, ctx);
}

/** The carrier of a span's context. */
export const traceCarrierOfSpan = (span: Span): Record<string, string> => traceCarrierOf(trace.setSpan(ROOT_CONTEXT, span));
