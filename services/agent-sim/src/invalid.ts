/**
 * The ways the simulator spoils a detection. The first three keep a readable scope and
 * message id, so the registrar records them as RegistrationFailed INVALID_PARAMETER; the
 * last two cannot be read at all and end on the dead-letter topic (DESIGN.md §2.3).
 */
export const INVALID_KINDS = ['bad-luid-index', 'bad-mac', 'unknown-field', 'not-json', 'bad-scope'] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

export const isDeadLetterKind = (kind: InvalidKind): boolean => kind === 'not-json' || kind === 'bad-scope';

/** A scope the registrar cannot read: spaces and '!' are outside [A-Za-z0-9._-]. */
export const UNREADABLE_SCOPE = 'not a scope!';

/** The JSON text of `detection`, spoiled in the given way. */
export function spoil(detection: Readonly<Record<string, unknown>>, kind: InvalidKind): string {
  switch (kind) {
    case 'bad-luid-index':
      // 2^24: one past the 24 bits of NET_LUID's NetLuidIndex.
      return JSON.stringify({ ...detection, luid: { ...(detection['luid'] as object), netLuidIndex: 0x1000000 } });
    case 'bad-mac':
      return JSON.stringify({ ...detection, info: { ...(detection['info'] as object), physAddress: 'zz:00:5e:00:53:01' } });
    case 'unknown-field':
      return JSON.stringify({ ...detection, colour: 'blue' });
    case 'not-json':
      // Cut short: what a producer that crashed mid-write would leave.
      return JSON.stringify(detection).slice(0, -9);
    case 'bad-scope':
      return JSON.stringify({ ...detection, scope: UNREADABLE_SCOPE });
  }
}
