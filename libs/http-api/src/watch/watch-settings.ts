import { z } from 'zod';
import { env } from '@ifreg/platform';

/** How one process serves GET /v1/watch (README "Configuration"). */
export interface WatchSettings {
  /** Open streams at most; one more is refused with 503. Each holds a file descriptor. */
  readonly maxStreams: number;
  /** A client this many bytes behind is cut off; it resumes with Last-Event-ID. */
  readonly maxBufferedBytes: number;
  /** A stream nothing was written to for this long gets a comment line, so proxies keep it open. */
  readonly heartbeatMs: number;
}

export const defaultWatchSettings: WatchSettings = { maxStreams: 20_000, maxBufferedBytes: 4 * 1024 * 1024, heartbeatMs: 15_000 };

export const watchEnvSchema = z.object({
  IFREG_WATCH_MAX_STREAMS: env.int(defaultWatchSettings.maxStreams, 1, 1_000_000),
  IFREG_WATCH_MAX_BUFFERED_BYTES: env.int(defaultWatchSettings.maxBufferedBytes, 16 * 1024, 1024 * 1024 * 1024),
  IFREG_WATCH_HEARTBEAT_MS: env.int(defaultWatchSettings.heartbeatMs, 100, 3_600_000),
});

export function watchSettings(c: z.infer<typeof watchEnvSchema>): WatchSettings {
  return { maxStreams: c.IFREG_WATCH_MAX_STREAMS, maxBufferedBytes: c.IFREG_WATCH_MAX_BUFFERED_BYTES, heartbeatMs: c.IFREG_WATCH_HEARTBEAT_MS };
}
