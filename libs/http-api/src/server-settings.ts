import { z } from 'zod';
import { env } from '@ifreg/platform';
import { httpSecurityEnvSchema, httpSecuritySettings, type HttpLimits } from './security';
import { watchEnvSchema, watchSettings, type WatchSettings } from './watch/watch-settings';

/**
 * Connections the kernel queues before they are accepted (it caps this at net.core.somaxconn).
 * Node's 511 overflowed when 10,000 watchers resumed at once after a restart, and each
 * dropped handshake waited a second or more for its retransmission.
 */
export const LISTEN_BACKLOG = 4096;

/** Where and how a service serves the HTTP API, from its environment (README "Configuration"). */
export const httpServerEnvSchema = z.object({
  IFREG_HTTP_PORT: env.port(8080),
  IFREG_HTTP_HOST: z.string().min(1).optional(),
  // IFREG_TOKEN / IFREG_TOKEN_FILE, IFREG_HTTP_BODY_LIMIT, IFREG_HTTP_MAX_HEADER_SIZE (docs/security.md).
  ...httpSecurityEnvSchema.shape,
  IFREG_MAX_WAIT_MS: env.int(30_000, 100, 600_000),
  // IFREG_WATCH_MAX_STREAMS, IFREG_WATCH_MAX_BUFFERED_BYTES, IFREG_WATCH_HEARTBEAT_MS.
  ...watchEnvSchema.shape,
});

export interface HttpServerSettings {
  readonly port: number;
  readonly host: string;
  readonly token: string | undefined;
  readonly limits: HttpLimits;
  /** Upper bound of wait=true and minPosition waits. */
  readonly maxWaitMs: number;
  readonly watch: WatchSettings;
}

export function httpServerSettings(c: z.infer<typeof httpServerEnvSchema>): HttpServerSettings {
  const { token, limits } = httpSecuritySettings(c);
  // Without a token, bind to loopback only (DESIGN §2.9).
  return { port: c.IFREG_HTTP_PORT, host: c.IFREG_HTTP_HOST ?? (token ? '0.0.0.0' : '127.0.0.1'), token, limits, maxWaitMs: c.IFREG_MAX_WAIT_MS, watch: watchSettings(c) };
}
