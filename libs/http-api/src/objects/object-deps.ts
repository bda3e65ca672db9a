import type { RegistryEvent } from '@ifreg/domain';
import type { ObjectBroker } from '@ifreg/messaging';
import type { AgentMessageProducer } from '@ifreg/ports';

/** What the store holds of one set, found by its request id. */
export interface RecordedSet {
  readonly request?: RegistryEvent;
  readonly answer?: RegistryEvent;
}

/** Interface objects (DESIGN §2.10): present where this service routes OID queries and sets. */
export interface ObjectApiDeps {
  readonly broker: ObjectBroker;
  /**
   * Where the set-recording messages go: the registrar's normal path (the in-process transport,
   * or Kafka's agent-messages topic). Without it sets are refused (503), queries still served.
   */
  readonly records?: AgentMessageProducer;
  /** The recorded request and answer of a set (the store's lookup by derived event id). */
  readonly recordedSet?: (scope: string, requestId: string) => Promise<RecordedSet>;
  /** How long a provider's answer is waited for by default (IFREG_OBJECT_TIMEOUT_MS). */
  readonly timeoutMs: number;
}
