import type { AgentMessageProducer, OutcomeWaiter } from '@ifreg/messaging';
import type { Logger, Registry } from '@ifreg/platform';
import type { ReadModelService } from '@ifreg/query';

export interface HttpApiDeps {
  readonly readModel: ReadModelService;
  readonly producer: AgentMessageProducer;
  readonly waiter: OutcomeWaiter;
  readonly metrics: Registry;
  readonly log: Logger;
  /** Bearer token required for writes; without one, writes are accepted from loopback only. */
  readonly token: string | undefined;
  /** Upper bound of `?wait=true` and `minPosition` waits. */
  readonly maxWaitMs: number;
  /** Extra readiness condition (e.g. the transport is connected). */
  readonly isReady?: () => boolean;
}
