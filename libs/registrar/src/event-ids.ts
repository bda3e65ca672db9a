import { nameBasedUuid } from '@ifreg/platform';

/**
 * Event id derived from the causing message's scope and id and the event's place in the
 * decision: a redelivered message produces the same ids, so the store can refuse a copy.
 * The scope is part of it because message ids are unique per scope only: without it, one id
 * sent to two scopes made the second append fail on every redelivery (tools/faults/hostile-input).
 */
export const eventIdFor = (scope: string, messageId: string, seq: number): string => nameBasedUuid('ifreg/registry-event/v2', scope, messageId, seq);

/** The ids of the first scheme (without the scope), still present in stores written before v2. */
export const legacyEventIdFor = (messageId: string, seq: number): string => nameBasedUuid('ifreg/registry-event/v1', messageId, seq);
