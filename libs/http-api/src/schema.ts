import { SCOPE_PATTERN } from '@ifreg/domain';

/** Small JSON Schema builders for route schemas (fastify validates and documents them). */
type Schema = Record<string, unknown>;

export const s = {
  object: (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema => ({
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
    ...extra,
  }),
  integer: (extra: Schema = {}): Schema => ({ type: 'integer', ...extra }),
  string: (extra: Schema = {}): Schema => ({ type: 'string', ...extra }),
  boolean: (extra: Schema = {}): Schema => ({ type: 'boolean', ...extra }),
} as const;

/** A scope in a path or query string: the domain's SCOPE_PATTERN. */
export const Scope = s.string({ pattern: SCOPE_PATTERN.source, description: 'host id, 1-64 of [A-Za-z0-9._-]' });
