import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'pg-connection-string';
import { ConfigError, parseConfig } from '@ifreg/platform';
import { describeStore, storeEnvSchema, storeSettings, type StoreSettings } from './store-config';

const dir = mkdtempSync(join(tmpdir(), 'ifreg-store-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const ca = file('ca.pem', 'THE-CA');
const cert = file('client.pem', 'THE-CERT');
const key = file('client.key', 'THE-KEY');

const load = (env: Record<string, string>): StoreSettings => parseConfig(storeEnvSchema.transform(storeSettings), { IFREG_STORE: 'postgres', ...env });
const url = (env: Record<string, string>): string => {
  const settings = load(env);
  if (settings.kind !== 'postgres') throw new Error('not postgres');
  return settings.url;
};

function problems(f: () => unknown): readonly string[] {
  try {
    f();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('PostgreSQL password and TLS from the environment', () => {
  it('leaves the URL as it is when nothing else is set', () => {
    expect(url({})).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(url({ IFREG_POSTGRES_URL: 'postgres://u@db:5432/x?sslmode=verify-full' })).toBe('postgres://u@db:5432/x?sslmode=verify-full');
  });

  it('puts the password from IFREG_POSTGRES_PASSWORD(_FILE) into the URL, encoded, and never into the description', () => {
    const withPassword = url({ IFREG_POSTGRES_URL: 'postgres://ifreg@db:5432/ifreg', IFREG_POSTGRES_PASSWORD: 'p@ss:w/rd#1' });
    expect(parse(withPassword)).toMatchObject({ user: 'ifreg', password: 'p@ss:w/rd#1', host: 'db', database: 'ifreg' });
    const fromFile = url({ IFREG_POSTGRES_URL: 'postgres://ifreg@db/ifreg', IFREG_POSTGRES_PASSWORD_FILE: file('pw', 'from-file\n') });
    expect(parse(fromFile).password).toBe('from-file');
    expect(describeStore(load({ IFREG_POSTGRES_URL: 'postgres://ifreg@db:5432/ifreg', IFREG_POSTGRES_PASSWORD: 'p@ss:w/rd#1' }))).toBe('postgres db:5432/ifreg schema ifreg');
  });

  it('maps the sslmodes as libpq means them, as pg reads the URL', () => {
    // require: encrypted, the server not verified.
    expect(parse(url({ IFREG_POSTGRES_SSL_MODE: 'require' })).ssl).toEqual({ rejectUnauthorized: false });
    // verify-ca: the chain against the CA, not the host name.
    const verifyCa = parse(url({ IFREG_POSTGRES_SSL_MODE: 'verify-ca', IFREG_POSTGRES_SSL_CA_FILE: ca })).ssl as { ca: string; checkServerIdentity: unknown; rejectUnauthorized?: boolean };
    expect(verifyCa.ca).toBe('THE-CA');
    expect(typeof verifyCa.checkServerIdentity).toBe('function');
    expect(verifyCa.rejectUnauthorized).not.toBe(false);
    // verify-full: chain and host name; with a client certificate.
    const full = parse(url({ IFREG_POSTGRES_SSL_MODE: 'verify-full', IFREG_POSTGRES_SSL_CA_FILE: ca, IFREG_POSTGRES_SSL_CERT_FILE: cert, IFREG_POSTGRES_SSL_KEY_FILE: key })).ssl;
    expect(full).toEqual({ ca: 'THE-CA', cert: 'THE-CERT', key: 'THE-KEY' });
    expect(parse(url({ IFREG_POSTGRES_SSL_MODE: 'disable' })).ssl).toBe(false);
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['verify-ca without a CA', { IFREG_POSTGRES_SSL_MODE: 'verify-ca' }, ['IFREG_POSTGRES_SSL_CA_FILE: required when IFREG_POSTGRES_SSL_MODE=verify-ca']],
    ['a CA without a mode', { IFREG_POSTGRES_SSL_CA_FILE: ca }, ['IFREG_POSTGRES_SSL_CA_FILE: set IFREG_POSTGRES_SSL_MODE to require, verify-ca or verify-full to use it']],
    ['a client key with TLS disabled', { IFREG_POSTGRES_SSL_MODE: 'disable', IFREG_POSTGRES_SSL_KEY_FILE: key }, ['IFREG_POSTGRES_SSL_KEY_FILE: set IFREG_POSTGRES_SSL_MODE to require, verify-ca or verify-full to use it']],
    ['a certificate without its key', { IFREG_POSTGRES_SSL_MODE: 'verify-full', IFREG_POSTGRES_SSL_CERT_FILE: cert }, [
      'IFREG_POSTGRES_SSL_CERT_FILE, IFREG_POSTGRES_SSL_KEY_FILE: a client certificate needs its key and the key its certificate',
    ]],
    ['an unreadable CA', { IFREG_POSTGRES_SSL_MODE: 'verify-full', IFREG_POSTGRES_SSL_CA_FILE: '/nonexistent/ca.pem' }, ['IFREG_POSTGRES_SSL_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)']],
    ['an sslmode in the URL and in the variable', { IFREG_POSTGRES_URL: 'postgres://u@db/x?sslmode=require', IFREG_POSTGRES_SSL_MODE: 'verify-full' }, [
      'IFREG_POSTGRES_SSL_MODE: IFREG_POSTGRES_URL has an sslmode already; give it in one place',
    ]],
    ['a password in the URL and in the variable', { IFREG_POSTGRES_URL: 'postgres://u:secret-in-url@db/x', IFREG_POSTGRES_PASSWORD: 'secret-in-var' }, [
      'IFREG_POSTGRES_PASSWORD: IFREG_POSTGRES_URL has a password already; give it in one place',
    ]],
    ['a password without a user', { IFREG_POSTGRES_URL: 'postgres://db/x', IFREG_POSTGRES_PASSWORD: 'secret-in-var' }, ['IFREG_POSTGRES_PASSWORD: IFREG_POSTGRES_URL names no user (postgres://user@host/db)']],
    ['a password and a password file', { IFREG_POSTGRES_PASSWORD: 'a', IFREG_POSTGRES_PASSWORD_FILE: '/run/secrets/pg' }, ['IFREG_POSTGRES_PASSWORD: set IFREG_POSTGRES_PASSWORD or IFREG_POSTGRES_PASSWORD_FILE, not both']],
    ['an unknown mode', { IFREG_POSTGRES_SSL_MODE: 'prefer' }, ['IFREG_POSTGRES_SSL_MODE: Invalid option: expected one of "disable"|"require"|"verify-ca"|"verify-full"']],
  ])('refuses %s with a ConfigError naming the variables', (_what, env, expected) => {
    const found = problems(() => load(env));
    expect(found).toEqual(expected);
    expect(found.join('\n')).not.toMatch(/secret-in/);
  });

  it('bounds every query by IFREG_POSTGRES_QUERY_TIMEOUT_MS, 10 s unless set, and refuses one too short', () => {
    expect(load({})).toMatchObject({ queryTimeoutMs: 10_000 });
    expect(load({ IFREG_POSTGRES_QUERY_TIMEOUT_MS: '2500' })).toMatchObject({ queryTimeoutMs: 2_500 });
    expect(problems(() => load({ IFREG_POSTGRES_QUERY_TIMEOUT_MS: '5' }))).toEqual([expect.stringMatching(/^IFREG_POSTGRES_QUERY_TIMEOUT_MS/)]);
  });

  it('reads the PostgreSQL settings only for IFREG_STORE=postgres', () => {
    expect(load({ IFREG_STORE: 'sqlite', IFREG_POSTGRES_SSL_MODE: 'verify-ca' })).toMatchObject({ kind: 'sqlite' });
  });
});
