import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@ifreg/platform';
import { ENV_KEYS, loadConfig } from './config';

describe('the HTTP security settings of this service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ifreg-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the token, its file and the size limits (and says so in ENV_KEYS for docker-compose.yml)', () => {
    expect(ENV_KEYS).toEqual(expect.arrayContaining(['IFREG_TOKEN', 'IFREG_TOKEN_FILE', 'IFREG_HTTP_BODY_LIMIT', 'IFREG_HTTP_MAX_HEADER_SIZE']));
    expect(loadConfig({}).http).toMatchObject({ host: '127.0.0.1', token: undefined, limits: { bodyLimit: 65536, maxHeaderSize: 16384 } });
    expect(loadConfig({ IFREG_HTTP_BODY_LIMIT: '4096', IFREG_HTTP_MAX_HEADER_SIZE: '8192' }).http.limits).toEqual({ bodyLimit: 4096, maxHeaderSize: 8192 });
  });

  it('a token from IFREG_TOKEN_FILE counts like IFREG_TOKEN: writes need it and the service listens on all interfaces', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'a-token-from-a-docker-secret\n');
    expect(loadConfig({ IFREG_TOKEN_FILE: file }).http).toMatchObject({ host: '0.0.0.0', token: 'a-token-from-a-docker-secret' });
    expect(loadConfig({ IFREG_TOKEN_FILE: file, IFREG_HTTP_HOST: '127.0.0.1' }).http.host).toBe('127.0.0.1');
  });

  it('refuses a short token from a file, or a token given twice, naming the variable', () => {
    const file = join(dir, 'short');
    writeFileSync(file, 'short');
    expect(() => loadConfig({ IFREG_TOKEN_FILE: file })).toThrow(new ConfigError([`IFREG_TOKEN_FILE: the secret in ${file} must be at least 16 characters`]));
    expect(() => loadConfig({ IFREG_TOKEN: 'a-token-of-sixteen-chars', IFREG_TOKEN_FILE: file })).toThrow(ConfigError);
  });

  it('takes the PostgreSQL password and TLS settings', () => {
    expect(ENV_KEYS).toEqual(expect.arrayContaining(['IFREG_POSTGRES_PASSWORD', 'IFREG_POSTGRES_PASSWORD_FILE', 'IFREG_POSTGRES_SSL_MODE', 'IFREG_POSTGRES_SSL_CA_FILE']));
    const config = loadConfig({ IFREG_STORE: 'postgres', IFREG_POSTGRES_URL: 'postgres://ifreg@db:5432/ifreg', IFREG_POSTGRES_PASSWORD: 'pw', IFREG_POSTGRES_SSL_MODE: 'require' });
    expect(config.store).toEqual({ kind: 'postgres', url: 'postgres://ifreg:pw@db:5432/ifreg?sslmode=require&uselibpqcompat=true', schema: 'ifreg', queryTimeoutMs: 10_000 });
  });
});
