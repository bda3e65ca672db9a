import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { parseConfig } from '@ifreg/platform';
import { PrivatePostgres, privateServerUnavailable, unreachableReason } from '@ifreg/testing';
import { openEventStore, storeEnvSchema, storeSettings, type StoreSettings } from './store-config';

/**
 * IFREG_POSTGRES_SSL_* against real servers: the shared one (TLS off, left as it is) must
 * refuse a client that requires TLS, and a private throwaway instance with TLS switched on
 * shows what each mode verifies.
 */
const settings = (env: Record<string, string>): StoreSettings => parseConfig(storeEnvSchema.transform(storeSettings), { IFREG_STORE: 'postgres', ...env });
const urlOf = (s: StoreSettings): string => (s.kind === 'postgres' ? s.url : '');

/** Whether one connection with this URL works, and whether it is encrypted. */
async function probe(url: string): Promise<{ ssl: boolean } | { error: string }> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return { ssl: rows[0]?.ssl ?? false };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const SHARED = process.env['IFREG_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const sharedDown = unreachableReason(SHARED);
if (sharedDown) console.warn(`PostgreSQL at ${SHARED} is not reachable (${sharedDown}): the shared-server TLS check is skipped`);

(sharedDown ? describe.skip : describe)('the shared PostgreSQL server (TLS off)', () => {
  it('refuses to open the store with IFREG_POSTGRES_SSL_MODE=require, with a clear error', async () => {
    const require = urlOf(settings({ IFREG_POSTGRES_URL: SHARED, IFREG_POSTGRES_SSL_MODE: 'require' }));
    const plain = await probe(urlOf(settings({ IFREG_POSTGRES_URL: SHARED, IFREG_POSTGRES_SSL_MODE: 'disable' })));
    expect(plain).toEqual({ ssl: false });
    // Should someone switch TLS on for the shared server, require must then be encrypted.
    if ('ssl' in (await probe(require))) return expect(await probe(require)).toEqual({ ssl: true });
    await expect(openEventStore(settings({ IFREG_POSTGRES_URL: SHARED, IFREG_POSTGRES_SSL_MODE: 'require' }))).rejects.toThrow('The server does not support SSL connections');
  });
});

const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const privateDown = privateServerUnavailable() ?? (hasOpenssl ? undefined : 'openssl is not installed');
if (privateDown) console.warn(`no private PostgreSQL with TLS (${privateDown}): its checks are skipped`);

(privateDown ? describe.skip : describe)('a private PostgreSQL with TLS on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ifreg-pg-tls-'));
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const authority = (name: string): void => openssl('req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${name}`, '-days', '2');
  const issue = (name: string, san: string): void => {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(path(`${name}.ext`), `subjectAltName=${san}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'test-ca.pem', '-CAkey', 'test-ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  let server: PrivatePostgres | undefined;
  let base = '';
  const env = (extra: Record<string, string>) => urlOf(settings({ IFREG_POSTGRES_URL: base, ...extra }));

  beforeAll(async () => {
    authority('test-ca');
    authority('other-ca');
    // Named for localhost only, so that connecting to 127.0.0.1 tells verify-ca from verify-full.
    issue('server', 'DNS:localhost');
    issue('postgres', 'DNS:postgres');
    server = await PrivatePostgres.start();
    base = server.url;
    // The server runs as the postgres OS user when we are root: it must own its key, mode 0600.
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    if (process.getuid?.() === 0) {
      chmodSync(dir, 0o755);
      for (const name of ['server.pem', 'server.key', 'test-ca.pem']) chownSync(path(name), uid, -1);
    }
    chmodSync(path('server.key'), 0o600);
    const admin = new Client({ connectionString: base });
    await admin.connect();
    try {
      await admin.query(`ALTER SYSTEM SET ssl_cert_file = '${path('server.pem')}'`);
      await admin.query(`ALTER SYSTEM SET ssl_key_file = '${path('server.key')}'`);
      await admin.query('ALTER SYSTEM SET ssl = on');
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
    // The reload is asynchronous: wait until a new connection can have TLS.
    const deadline = Date.now() + 15_000;
    while (!('ssl' in (await probe(env({ IFREG_POSTGRES_SSL_MODE: 'require' }))))) {
      if (Date.now() > deadline) throw new Error(`TLS did not come on: ${JSON.stringify(await probe(env({ IFREG_POSTGRES_SSL_MODE: 'require' })))}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('require: encrypted without verifying the server; disable: not encrypted', async () => {
    expect(await probe(env({ IFREG_POSTGRES_SSL_MODE: 'require' }))).toEqual({ ssl: true });
    expect(await probe(env({ IFREG_POSTGRES_SSL_MODE: 'disable' }))).toEqual({ ssl: false });
  });

  it('verify-ca checks the chain: our CA passes, another CA is refused', async () => {
    expect(await probe(env({ IFREG_POSTGRES_SSL_MODE: 'verify-ca', IFREG_POSTGRES_SSL_CA_FILE: path('test-ca.pem') }))).toEqual({ ssl: true });
    expect(await probe(env({ IFREG_POSTGRES_SSL_MODE: 'verify-ca', IFREG_POSTGRES_SSL_CA_FILE: path('other-ca.pem') }))).toEqual({ error: expect.stringMatching(/certificate/i) });
  });

  it('verify-full also checks the host name; the store opens over it, client certificate files given', async () => {
    const full = { IFREG_POSTGRES_SSL_MODE: 'verify-full', IFREG_POSTGRES_SSL_CA_FILE: path('test-ca.pem') };
    expect(await probe(env(full))).toEqual({ error: expect.stringMatching(/does not match certificate's altnames/) });
    const byName = urlOf(settings({ IFREG_POSTGRES_URL: base.replace('127.0.0.1', 'localhost'), ...full, IFREG_POSTGRES_SSL_CERT_FILE: path('postgres.pem'), IFREG_POSTGRES_SSL_KEY_FILE: path('postgres.key') }));
    expect(await probe(byName)).toEqual({ ssl: true });
    const store = await openEventStore({ kind: 'postgres', url: byName, schema: 'ifreg_tls' });
    try {
      expect(await store.headPosition()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
