import { hash } from 'node:crypto';
import type { RegistrarMessage } from '@ifreg/domain';

/**
 * A digest of what a message says, kept in its events' metadata: a message id seen again
 * with another fingerprint is a re-use of the id for other content, not a redelivery.
 */
export const fingerprintOf = (message: RegistrarMessage): string =>
  hash('sha256', JSON.stringify(message), 'base64url').slice(0, 22);
