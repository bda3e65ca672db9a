import type { OutcomeWaiter } from '@ifreg/messaging';
import type { AgentMessageProducer } from '@ifreg/ports';
import type { EventStore } from '@ifreg/ports';
import type { Logger, Registry } from '@ifreg/platform';
import type { ReadModelService, RebuildTracker } from '@ifreg/query';
import type { HttpLimits } from './security';
import type { WatchSettings } from './watch/watch-settings';
import type { ObjectApiDeps } from './objects/object-deps';

/** Writes: present where this process can hand agent messages to the registrar. */
export interface IngestDeps {
  readonly producer: AgentMessageProducer;
  readonly waiter: OutcomeWaiter;
}

export interface HttpApiDeps {
  readonly readModel: ReadModelService;
  /** For time travel (`asOf`), folded from the store. */
  readonly store: EventStore;
  readonly ingest?: IngestDeps;
  /** Serves POST/GET /v1/admin/rebuild when given. */
  readonly rebuild?: RebuildTracker;
  readonly metrics: Registry;
  readonly log: Logger;
  /** Bearer token required for writes; without one, writes are accepted from loopback only. */
  readonly token: string | undefined;
  /** Body and header size limits; defaultHttpLimits when absent. */
  readonly limits?: HttpLimits;
  /** Limits of GET /v1/watch; defaultWatchSettings when absent. */
  readonly watch?: WatchSettings;
  /** Upper bound of `?wait=true` and `minPosition` waits. */
  readonly maxWaitMs: number;
  /** Serves interface objects (OID queries and sets) and providers' object streams when given. */
  readonly objects?: ObjectApiDeps;
  /** Extra readiness condition (e.g. the transport is connected). */
  readonly isReady?: () => boolean;
}
