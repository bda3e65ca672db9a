import type { OutboundMessage } from '@ifreg/ports';

/**
 * CloudEvents Kafka binding, binary mode: the attributes travel as `ce_*` headers and the
 * value stays our plain JSON, so generic tooling can route and trace our messages.
 */
export const CE_SPECVERSION = '1.0';

/**
 * The headers of an agent message: those the sender gave win; missing ones are filled from
 * the JSON value when it can be read. A value that cannot be read is still sent as it is:
 * judging it is the registrar's job (it dead-letters it), not the producer's.
 */
export function agentMessageHeaders(message: OutboundMessage, defaultSource: string): Record<string, string> {
  const body = readObject(message.value);
  const field = (name: string): string | undefined => {
    const value = body?.[name];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  };
  const derived: Record<string, string | undefined> = {
    ce_specversion: CE_SPECVERSION,
    ce_id: field('messageId'),
    ce_type: field('type'),
    ce_source: field('providerId') ?? defaultSource,
    ce_time: field('detectedAt') ?? field('at'),
    schemaVersion: field('schemaVersion'),
  };
  return { ...definedOnly(derived), ...message.headers };
}

function readObject(value: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function definedOnly(record: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(record)) if (value !== undefined) out[name] = value;
  return out;
}
