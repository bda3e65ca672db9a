import type { AgentMessage } from '@ifreg/domain';
import type { Outcome } from '@ifreg/ports';

/** An agent message as it travels (DESIGN.md §2.9): the domain message plus its schema version. */
export type WireMessage = AgentMessage & { readonly schemaVersion: number };

/**
 * How a provider reaches the registry: send one message, get the event recorded for it
 * (the outcome, matched by causation id) with the store position it is at.
 *
 * `send` resolves with the outcome, a RegistrationFailed included: a refusal is an answer.
 * It rejects with a RegistryClientError when there is no answer (timeout, unreachable) or
 * the request was refused before anything was recorded.
 */
export interface RegistryClient {
  connect(): Promise<void>;
  send(message: WireMessage, options?: SendOptions): Promise<Outcome>;
  close(): Promise<void>;
}

export interface SendOptions {
  /** How long to wait for the outcome; the client's own default when absent. */
  readonly timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
