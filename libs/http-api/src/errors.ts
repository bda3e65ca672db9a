import type { FastifyReply } from 'fastify';

/** Every error answer has the same shape: a short code and a sentence saying what was wrong. */
export interface ErrorBody {
  readonly error: string;
  readonly reason: string;
}

export const errorSchema = {
  type: 'object',
  required: ['error', 'reason'],
  additionalProperties: true,
  properties: { error: { type: 'string' }, reason: { type: 'string' } },
} as const;

export function sendError(reply: FastifyReply, status: number, error: string, reason: string, extra: object = {}): FastifyReply {
  return reply.code(status).send({ error, reason, ...extra });
}
