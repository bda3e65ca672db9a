import { ENV_KEYS, loadConfig } from './config';

// The shared settings are tested where they are defined (libs/http-api, libs/event-store);
// this checks the all-in-one's own defaults and that the shared ones reach its container.
describe('the all-in-one settings', () => {
  it('default to loopback without a token, the local host scope, and the shared HTTP limits', () => {
    const { http, host, store } = loadConfig({});
    expect({ host: http.host, token: http.token, limits: http.limits, scope: host.scope, register: host.register, store: store.kind }).toEqual({
      host: '127.0.0.1', token: undefined, limits: { bodyLimit: 65536, maxHeaderSize: 16384 }, scope: 'local', register: true, store: 'sqlite',
    });
    expect(ENV_KEYS).toEqual(expect.arrayContaining(['IFREG_TOKEN_FILE', 'IFREG_HTTP_BODY_LIMIT', 'IFREG_POSTGRES_SSL_MODE', 'IFREG_HOST_SCOPE']));
  });

  it('opens to all interfaces when a token is set, unless a host is given', () => {
    expect(loadConfig({ IFREG_TOKEN: 'a-token-of-sixteen-chars' }).http.host).toBe('0.0.0.0');
    expect(loadConfig({ IFREG_TOKEN: 'a-token-of-sixteen-chars', IFREG_HTTP_HOST: '10.0.0.5' }).http.host).toBe('10.0.0.5');
  });

  it('hands the watch limits to the HTTP API', () => {
    expect(loadConfig({ IFREG_WATCH_MAX_BUFFERED_BYTES: '65536' }).http.watch).toMatchObject({ maxBufferedBytes: 65536 });
    expect(ENV_KEYS).toEqual(expect.arrayContaining(['IFREG_WATCH_MAX_STREAMS', 'IFREG_WATCH_MAX_BUFFERED_BYTES', 'IFREG_WATCH_HEARTBEAT_MS']));
  });
});
