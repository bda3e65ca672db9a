import type { ObjectReply, ObjectRequest } from '@ifreg/contracts';

/**
 * How a provider's object requests reach it and its replies leave: Kafka (its scope's
 * partition), a WebSocket to the service, or in-process (the all-in-one's host agent).
 */
export interface ProviderObjectChannel {
  /** Starts delivering requests; resolves once a request sent from now on reaches `handle`. */
  open(handle: (request: ObjectRequest) => void): Promise<void>;
  reply(request: ObjectRequest, reply: ObjectReply): Promise<void>;
  close(): Promise<void>;
}
