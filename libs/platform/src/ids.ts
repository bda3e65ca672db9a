import { hash } from 'node:crypto';

/** A name-based UUID (version 5 layout, SHA-1): the same parts always give the same id. */
export function nameBasedUuid(...parts: readonly (string | number)[]): string {
  const h = hash('sha1', parts.join('\n'), 'hex');
  const variant = ((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}
