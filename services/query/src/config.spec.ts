import { ConfigError } from '@ifreg/platform';
import { ENV_KEYS, loadConfig } from './config';

// The shared HTTP security and store settings are tested in detail where they are defined
// (libs/http-api security.spec.ts, libs/event-store store-config.spec.ts): here, that this
// service reads them and passes them on.
describe('the query service settings', () => {
  it('names every shared security variable in ENV_KEYS (docker-compose.yml is checked against it)', () => {
    const shared = ['IFREG_TOKEN', 'IFREG_TOKEN_FILE', 'IFREG_HTTP_BODY_LIMIT', 'IFREG_HTTP_MAX_HEADER_SIZE', 'IFREG_POSTGRES_PASSWORD_FILE', 'IFREG_POSTGRES_SSL_MODE'];
    expect(shared.filter((key) => !ENV_KEYS.includes(key))).toEqual([]);
  });

  it('listens on all interfaces only with a token, and hands the limits and store settings on', () => {
    const config = loadConfig({ IFREG_TOKEN: 'a-token-of-sixteen-chars', IFREG_HTTP_MAX_HEADER_SIZE: '8192', IFREG_STORE: 'postgres', IFREG_POSTGRES_URL: 'postgres://q@db/x', IFREG_POSTGRES_PASSWORD: 'pw' });
    expect([config.http.host, config.http.limits.maxHeaderSize, config.store.kind === 'postgres' && config.store.url]).toEqual(['0.0.0.0', 8192, 'postgres://q:pw@db/x']);
    expect(loadConfig({}).http.host).toBe('127.0.0.1');
    expect(() => loadConfig({ IFREG_TOKEN: 'short' })).toThrow(ConfigError);
  });

  it('hands the watch limits to the HTTP API', () => {
    expect(loadConfig({ IFREG_WATCH_MAX_STREAMS: '12345' }).http.watch).toMatchObject({ maxStreams: 12345 });
    expect(ENV_KEYS).toEqual(expect.arrayContaining(['IFREG_WATCH_MAX_STREAMS', 'IFREG_WATCH_MAX_BUFFERED_BYTES', 'IFREG_WATCH_HEARTBEAT_MS']));
  });
});
