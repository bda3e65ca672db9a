import type { FastifyReply, FastifyRequest } from 'fastify';
import { s } from '../schema';
import { decodeAgentMessage } from '@ifreg/contracts';
import { OutcomeTimeoutError } from '@ifreg/messaging';
import { type Outcome } from '@ifreg/ports';
import { traceCarrierOf } from '@ifreg/platform';
import type { HttpApiDeps, IngestDeps } from '../deps';
import type { HttpApp } from '../app';
import { errorSchema, sendError } from '../errors';

/**
 * POST /v1/messages: one agent message exactly as on Kafka. It goes through the same
 * transport and registrar as Kafka traffic, so an invalid one with a readable scope is
 * recorded as RegistrationFailed INVALID_PARAMETER as well as refused with 400.
 */
export function registerIngestRoutes(app: HttpApp, deps: HttpApiDeps, ingest: IngestDeps): void {
  // Keep the raw text: the edge decoder gives the same reasons as for Kafka messages.
  // Its size limit is the server's bodyLimit (IFREG_HTTP_BODY_LIMIT).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post(
    '/v1/messages',
    {
      schema: {
        tags: ['ingest'],
        summary: 'Send one agent message (InterfaceDetected, InterfaceRemoved, BootEpoch)',
        security: [{ bearer: [] }],
        querystring: s.object({
          wait: s.boolean({ description: 'answer with the outcome event instead of 202' }),
          timeoutMs: s.integer({ minimum: 1, maximum: 60000 }),
        }),
        response: { 200: outcomeSchema, 202: acceptedSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 413: errorSchema, 415: errorSchema, 504: errorSchema },
      },
    },
    async (request: FastifyRequest<{ Querystring: { wait?: boolean; timeoutMs?: number } }>, reply) => {
      // Authorised by the write guard (security.ts) before the body was read.
      if (typeof request.body !== 'string') return sendError(reply, 415, 'UnsupportedMediaType', 'send the message as application/json');
      const decoded = decodeAgentMessage(request.body);
      if (decoded.kind === 'dead-letter') return sendError(reply, 400, 'InvalidMessage', decoded.reason);
      const { scope, messageId } = decoded.kind === 'message' ? decoded.message : decoded;
      const query = request.query;
      const waiting = query.wait ? ingest.waiter.expect(messageId, Math.min(query.timeoutMs ?? 5000, deps.maxWaitMs)) : undefined;
      waiting?.catch(() => undefined); // observed below; avoids an unhandled rejection if send throws
      // The request's trace (@fastify/otel's span, continuing the caller's traceparent) goes on with the message.
      const headers = { ...traceCarrierOf(), ce_id: messageId, ce_type: decoded.kind === 'message' ? decoded.message.type : decoded.messageType };
      await ingest.producer.send([{ key: scope, value: request.body, headers }]);
      if (decoded.kind === 'rejected') {
        const outcome = waiting ? await settle(waiting) : undefined;
        return sendError(reply, 400, 'InvalidMessage', decoded.reason, { messageId, ...(outcome && 'event' in outcome ? { outcome: answer(outcome) } : {}) });
      }
      if (!waiting) return reply.code(202).send({ messageId });
      const outcome = await settle(waiting);
      if (outcome instanceof OutcomeTimeoutError) return timeout(reply, outcome);
      return answer(outcome);
    },
  );
}

const acceptedSchema = s.object({ messageId: s.string() });
const outcomeSchema = s.object({ type: s.string(), scope: s.string(), causationId: s.string(), position: s.integer() }, [], {
  additionalProperties: true,
  description: 'the event recorded for the message, with the store position to pass as minPosition',
});

const answer = (outcome: Outcome) => ({ ...outcome.event, position: outcome.position });

async function settle(waiting: Promise<Outcome>): Promise<Outcome | OutcomeTimeoutError> {
  try {
    return await waiting;
  } catch (error) {
    if (error instanceof OutcomeTimeoutError) return error;
    throw error;
  }
}

const timeout = (reply: FastifyReply, error: OutcomeTimeoutError) =>
  sendError(reply, 504, 'OutcomeTimeout', `${error.message}; the message was accepted and may still be recorded`, { messageId: error.messageId });
