import { nameBasedUuid } from '@ifreg/platform';

/**
 * Event id derived from the causing message id and the event's place in the decision:
 * a redelivered message produces the same ids, so the store can refuse a copy.
 */
export const eventIdFor = (messageId: string, seq: number): string => nameBasedUuid('ifreg/registry-event/v1', messageId, seq);
