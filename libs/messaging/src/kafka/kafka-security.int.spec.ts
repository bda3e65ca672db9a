import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { createLogger, parseConfig } from '@ifreg/platform';
import { kafkaEnvSchema, kafkaSettingsFromEnv } from './kafka-env';
import { createKafka } from './kafka-config';

/**
 * The TLS and SASL settings reach the wire. TLS: against a TLS server standing in for a
 * broker (the shared test broker is plaintext and stays so), with certificates made by
 * openssl for this run. SASL: against the real broker, whose plaintext listener has no
 * SASL, so a client that does authenticate is refused in the handshake.
 */
const log = createLogger({ name: 'kafka-security-int', level: 'silent' });
const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
if (!hasOpenssl) console.warn('openssl is not installed: the Kafka TLS checks against a stand-in server are skipped');

const settingsFrom = (env: Record<string, string>) => ({
  ...parseConfig(kafkaEnvSchema.transform((c) => kafkaSettingsFromEnv(c, 'ifreg-security-int')), env),
  retry: { retries: 0 },
});

/** Connects an admin client with these settings: undefined when it connected, else the error. */
async function connectError(env: Record<string, string>): Promise<Error | undefined> {
  const admin = createKafka(settingsFrom(env), log).admin();
  try {
    await admin.connect();
    return undefined;
  } catch (error) {
    return error as Error;
  } finally {
    await admin.disconnect();
  }
}

(hasOpenssl ? describe : describe.skip)('Kafka over TLS (stand-in server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ifreg-kafka-tls-'));
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
  const authority = (name: string): void => openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${name}`, '-days', '2');
  const issue = (name: string, ca: string, san: string): void => {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(path(`${name}.ext`), `subjectAltName=${san}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };

  const seen: Array<{ client: string | undefined; authorized: boolean }> = [];
  let broker = '';
  let server: ReturnType<typeof createServer> | undefined;

  beforeAll(async () => {
    authority('test-ca');
    authority('other-ca');
    issue('broker', 'test-ca', 'DNS:localhost,IP:127.0.0.1');
    issue('ifreg-client', 'test-ca', 'DNS:ifreg-client');
    server = createServer({ key: readFileSync(path('broker.key')), cert: readFileSync(path('broker.pem')), ca: readFileSync(path('test-ca.pem')), requestCert: true, rejectUnauthorized: false }, (socket: TLSSocket) => {
      const peer = socket.getPeerCertificate();
      seen.push({ client: typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined, authorized: socket.authorized });
      socket.destroy(); // a stand-in: the handshake is what is under test
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    broker = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => void seen.splice(0));

  it('verifies the broker against IFREG_KAFKA_TLS_CA_FILE and presents the client certificate', async () => {
    await connectError({ KAFKA_BROKERS: broker, IFREG_KAFKA_TLS: 'true', IFREG_KAFKA_TLS_CA_FILE: path('test-ca.pem'), IFREG_KAFKA_TLS_CERT_FILE: path('ifreg-client.pem'), IFREG_KAFKA_TLS_KEY_FILE: path('ifreg-client.key') });
    expect(seen).toEqual([{ client: 'ifreg-client', authorized: true }]);
  });

  it('refuses a broker its CA did not sign, unless IFREG_KAFKA_TLS_REJECT_UNAUTHORIZED=false', async () => {
    const refused = await connectError({ KAFKA_BROKERS: broker, IFREG_KAFKA_TLS: 'true', IFREG_KAFKA_TLS_CA_FILE: path('other-ca.pem') });
    expect(refused?.message).toMatch(/certificate/i);
    expect(seen).toEqual([]);

    await connectError({ KAFKA_BROKERS: broker, IFREG_KAFKA_TLS: 'true', IFREG_KAFKA_TLS_CA_FILE: path('other-ca.pem'), IFREG_KAFKA_TLS_REJECT_UNAUTHORIZED: 'false' });
    expect(seen).toEqual([{ client: undefined, authorized: false }]);
  });

  it('without IFREG_KAFKA_TLS the client speaks plaintext, which the TLS server cannot take', async () => {
    await connectError({ KAFKA_BROKERS: broker });
    expect(seen).toEqual([]);
  });
});

const brokers = process.env.KAFKA_BROKERS ?? '';
(brokers ? describe : describe.skip)('Kafka SASL (real broker, plaintext listener without SASL)', () => {
  it('a client configured for SASL authenticates in the handshake, which this broker refuses; without SASL it connects', async () => {
    const refused = await connectError({ KAFKA_BROKERS: brokers, IFREG_KAFKA_SASL_MECHANISM: 'scram-sha-256', IFREG_KAFKA_SASL_USERNAME: 'ifreg', IFREG_KAFKA_SASL_PASSWORD: 'pw' });
    expect(refused?.message).toMatch(/SASL/);
    expect(await connectError({ KAFKA_BROKERS: brokers })).toBeUndefined();
  });
});
