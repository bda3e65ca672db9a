import { nameBasedUuid } from '@ifreg/platform';

/**
 * Event id derived from the causing message's scope and id and the event's place in the
 * decision: a redelivered message produces the same ids, so the store can refuse a copy.
 * The scope is part of it because message ids are unique per scope only (deduplication is
 * per scope): without it, one id sent to two scopes made the second append fail on every
 * redelivery and held its partition (found by tools/faults/hostile-input). v1 ids (without
 * the scope) stay in old stores; redeliveries of those messages are still recognised by the
 * scope's deduplication window.
 */
export const eventIdFor = (scope: string, messageId: string, seq: number): string => nameBasedUuid('ifreg/registry-event/v2', scope, messageId, seq);
