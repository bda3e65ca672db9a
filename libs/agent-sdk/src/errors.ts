import type { FailureStatus, RegistrationFailed } from '@ifreg/domain';

/**
 * A transport could not get an answer. `retriable`: sending the same message again (same
 * messageId) is safe and may succeed, because the registrar records a message once.
 */
export abstract class RegistryClientError extends Error {
  abstract readonly retriable: boolean;
}

/** No outcome in time. The message may still be recorded: resend it with the same id. */
export class RegistryTimeoutError extends RegistryClientError {
  readonly retriable = true;
  constructor(readonly messageId: string, readonly timeoutMs: number, detail?: string) {
    super(`no outcome for message ${messageId} within ${timeoutMs} ms${detail ? `: ${detail}` : ''}`);
    this.name = 'RegistryTimeoutError';
  }
}

/** The registry could not be reached, or failed (connection refused, 5xx, broker down). */
export class RegistryUnavailableError extends RegistryClientError {
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryUnavailableError';
  }
}

/**
 * The registry refused the request itself, without recording an outcome: a message it
 * cannot read (no scope), a missing token. Sending it again gives the same answer.
 */
export class RegistryRejectedError extends RegistryClientError {
  readonly retriable = false;
  constructor(readonly reason: string, readonly httpStatus?: number, readonly code?: string) {
    super(`registry refused the message${httpStatus ? ` (${httpStatus}${code ? ` ${code}` : ''})` : ''}: ${reason}`);
    this.name = 'RegistryRejectedError';
  }
}

/** The registry recorded a refusal (RegistrationFailed): NDIS's failure status and reason. */
export class RegistrationError extends Error {
  readonly status: FailureStatus;
  readonly reason: string;
  readonly causationId: string;

  constructor(readonly event: RegistrationFailed) {
    super(`${event.messageType} failed with ${event.status}: ${event.reason}`);
    this.name = 'RegistrationError';
    this.status = event.status;
    this.reason = event.reason;
    this.causationId = event.causationId;
  }
}

/** The registry answered with an event this call cannot have caused: a bug somewhere. */
export class UnexpectedOutcomeError extends Error {
  constructor(expected: string, got: string, messageId: string) {
    super(`expected ${expected} for message ${messageId}, got ${got}`);
    this.name = 'UnexpectedOutcomeError';
  }
}
