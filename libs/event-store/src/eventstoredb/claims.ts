import { BACKWARDS, END, jsonEvent, type JSONEventData } from '@eventstore/db-client';
import type { EsdbClient } from './client';
import { isStreamNotFound } from './errors';

/** Logical streams of this prefix hold claims, never events of the store (StreamNames leaves them out). */
export const CLAIM_PREFIX = 'ifreg.claims-';

/** Where an event id was to be recorded: the stream and its revision there. */
export interface Claim {
  readonly stream: string;
  readonly revision: number;
}

/** Claims of one id read back; more than a few means the id was appended again and again (conflicts). */
const CLAIMS_READ = 16;

/**
 * EventStoreDB has no index of events by id, and its dedup by id is a cache lost on restart.
 * So before it appends, the adapter writes for each event id a claim (stream, revision) to a
 * small stream named after the id; a lookup reads the id's last claims and checks each against
 * the event at that revision (a claim whose append then lost a race points at another event, or
 * at none, and is passed over). Claims are written first: every recorded event has one. The
 * adapter keeps nothing per event in memory; the server keeps a few bytes per event.
 */
export class Claims {
  constructor(private readonly client: EsdbClient, private readonly physical: (logical: string) => string) {}

  streamOf(esdbId: string): string {
    return this.physical(`${CLAIM_PREFIX}${esdbId}`);
  }

  async write(claims: ReadonlyMap<string, Claim>): Promise<void> {
    await Promise.all([...claims].map(([id, claim]) => {
      const event: JSONEventData = jsonEvent({ type: 'ifreg.claim', data: { stream: claim.stream, revision: claim.revision } });
      return this.client.appendToStream(this.streamOf(id), event);
    }));
  }

  /** The claims of one id, newest first. */
  async of(esdbId: string): Promise<Claim[]> {
    const claims: Claim[] = [];
    try {
      for await (const resolved of this.client.readStream(this.streamOf(esdbId), { fromRevision: END, direction: BACKWARDS, maxCount: CLAIMS_READ })) {
        const data = resolved.event?.data as Partial<Claim> | undefined;
        if (typeof data?.stream === 'string' && typeof data.revision === 'number') claims.push({ stream: data.stream, revision: data.revision });
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw error;
    }
    return claims;
  }
}
