import { ConfigError, parseConfig } from '@ifreg/platform';
import { httpServerEnvSchema, httpServerSettings } from '../server-settings';

const load = (env: Record<string, string>) => parseConfig(httpServerEnvSchema.transform(httpServerSettings), env).watch;

describe('the watch settings', () => {
  it('default to 20,000 streams, 4 MiB behind and a heartbeat every 15 s', () => {
    expect(load({})).toEqual({ maxStreams: 20_000, maxBufferedBytes: 4 * 1024 * 1024, heartbeatMs: 15_000 });
  });

  it('are read from IFREG_WATCH_MAX_STREAMS, IFREG_WATCH_MAX_BUFFERED_BYTES and IFREG_WATCH_HEARTBEAT_MS', () => {
    expect(load({ IFREG_WATCH_MAX_STREAMS: '50000', IFREG_WATCH_MAX_BUFFERED_BYTES: '1048576', IFREG_WATCH_HEARTBEAT_MS: '30000' })).toEqual({
      maxStreams: 50_000,
      maxBufferedBytes: 1_048_576,
      heartbeatMs: 30_000,
    });
  });

  it.each([
    ['IFREG_WATCH_MAX_STREAMS', '0'],
    ['IFREG_WATCH_MAX_STREAMS', 'many'],
    ['IFREG_WATCH_MAX_BUFFERED_BYTES', '1000'],
    ['IFREG_WATCH_HEARTBEAT_MS', '10'],
    ['IFREG_WATCH_HEARTBEAT_MS', '1.5'],
  ])('refuses %s=%s with a ConfigError naming it', (name, value) => {
    expect(() => load({ [name]: value })).toThrow(ConfigError);
    expect(() => load({ [name]: value })).toThrow(name);
  });
});
