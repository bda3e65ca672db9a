import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '@ifreg/platform';
import { kafkaEnvSchema, kafkaSettingsFromEnv } from './kafka-env';
import { kafkaSecurityOptions } from './kafka-config';

const dir = mkdtempSync(join(tmpdir(), 'ifreg-kafka-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
const cert = file('client.pem', '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n');
const key = file('client.key', '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n');

const load = (env: Record<string, string>) => parseConfig(kafkaEnvSchema.transform((c) => kafkaSettingsFromEnv(c, 'spec')), env);

/** The problems of the ConfigError `f` throws. */
function problems(f: () => unknown): readonly string[] {
  try {
    f();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('Kafka TLS and SASL from the environment', () => {
  it('plaintext without authentication by default: kafkajs gets neither ssl nor sasl', () => {
    const settings = load({});
    expect(settings).not.toHaveProperty('tls');
    expect(settings).not.toHaveProperty('sasl');
    expect(kafkaSecurityOptions(settings)).toEqual({});
  });

  it('IFREG_KAFKA_TLS=true alone: TLS verified against the system CAs', () => {
    const settings = load({ IFREG_KAFKA_TLS: 'true' });
    expect(kafkaSecurityOptions(settings)).toEqual({ ssl: { rejectUnauthorized: true } });
  });

  it('a private CA, a client certificate and key are read from their files', () => {
    const settings = load({ IFREG_KAFKA_TLS: 'true', IFREG_KAFKA_TLS_CA_FILE: ca, IFREG_KAFKA_TLS_CERT_FILE: cert, IFREG_KAFKA_TLS_KEY_FILE: key });
    expect(kafkaSecurityOptions(settings)).toEqual({
      ssl: {
        rejectUnauthorized: true,
        ca: ['-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n'],
        cert: '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n',
        key: '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n',
      },
    });
    expect(kafkaSecurityOptions(load({ IFREG_KAFKA_TLS: 'true', IFREG_KAFKA_TLS_REJECT_UNAUTHORIZED: 'false' }))).toEqual({ ssl: { rejectUnauthorized: false } });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('SASL %s with the password from the variable or from a file', (mechanism) => {
    const fromVariable = load({ IFREG_KAFKA_SASL_MECHANISM: mechanism, IFREG_KAFKA_SASL_USERNAME: 'ifreg', IFREG_KAFKA_SASL_PASSWORD: 's3cret-pw' });
    expect(kafkaSecurityOptions(fromVariable)).toEqual({ sasl: { mechanism, username: 'ifreg', password: 's3cret-pw' } });
    const fromFile = load({ IFREG_KAFKA_SASL_MECHANISM: mechanism, IFREG_KAFKA_SASL_USERNAME: 'ifreg', IFREG_KAFKA_SASL_PASSWORD_FILE: file(`pw-${mechanism}`, 'from-a-file\n') });
    expect(kafkaSecurityOptions(fromFile)).toEqual({ sasl: { mechanism, username: 'ifreg', password: 'from-a-file' } });
  });

  it('SASL over TLS: both options go to kafkajs', () => {
    const settings = load({ IFREG_KAFKA_TLS: 'true', IFREG_KAFKA_TLS_CA_FILE: ca, IFREG_KAFKA_SASL_MECHANISM: 'scram-sha-512', IFREG_KAFKA_SASL_USERNAME: 'u', IFREG_KAFKA_SASL_PASSWORD: 'p' });
    expect(kafkaSecurityOptions(settings)).toEqual({
      ssl: { rejectUnauthorized: true, ca: [expect.stringContaining('CA')] },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['a mechanism without a password', { IFREG_KAFKA_SASL_MECHANISM: 'plain', IFREG_KAFKA_SASL_USERNAME: 'u' }, ['IFREG_KAFKA_SASL_PASSWORD (or IFREG_KAFKA_SASL_PASSWORD_FILE): required when IFREG_KAFKA_SASL_MECHANISM=plain']],
    [
      'a mechanism alone',
      { IFREG_KAFKA_SASL_MECHANISM: 'scram-sha-256' },
      ['IFREG_KAFKA_SASL_USERNAME: required when IFREG_KAFKA_SASL_MECHANISM=scram-sha-256', 'IFREG_KAFKA_SASL_PASSWORD (or IFREG_KAFKA_SASL_PASSWORD_FILE): required when IFREG_KAFKA_SASL_MECHANISM=scram-sha-256'],
    ],
    ['a user and password without a mechanism', { IFREG_KAFKA_SASL_USERNAME: 'u', IFREG_KAFKA_SASL_PASSWORD: 'p' }, [
      'IFREG_KAFKA_SASL_USERNAME: set IFREG_KAFKA_SASL_MECHANISM (plain, scram-sha-256 or scram-sha-512) to use it',
      'IFREG_KAFKA_SASL_PASSWORD: set IFREG_KAFKA_SASL_MECHANISM (plain, scram-sha-256 or scram-sha-512) to use it',
    ]],
    ['an unknown mechanism', { IFREG_KAFKA_SASL_MECHANISM: 'gssapi' }, ['IFREG_KAFKA_SASL_MECHANISM: Invalid option: expected one of "plain"|"scram-sha-256"|"scram-sha-512"']],
    ['both a password and a password file', { IFREG_KAFKA_SASL_MECHANISM: 'plain', IFREG_KAFKA_SASL_USERNAME: 'u', IFREG_KAFKA_SASL_PASSWORD: 'p', IFREG_KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka' }, [
      'IFREG_KAFKA_SASL_PASSWORD: set IFREG_KAFKA_SASL_PASSWORD or IFREG_KAFKA_SASL_PASSWORD_FILE, not both',
    ]],
    ['a CA file without TLS', { IFREG_KAFKA_TLS_CA_FILE: ca }, ['IFREG_KAFKA_TLS_CA_FILE: set IFREG_KAFKA_TLS=true to use it']],
    ['a client certificate without its key', { IFREG_KAFKA_TLS: 'true', IFREG_KAFKA_TLS_CERT_FILE: cert }, [
      'IFREG_KAFKA_TLS_CERT_FILE, IFREG_KAFKA_TLS_KEY_FILE: a client certificate needs its key and the key its certificate',
    ]],
    ['an unreadable CA file', { IFREG_KAFKA_TLS: 'true', IFREG_KAFKA_TLS_CA_FILE: '/nonexistent/ca.pem' }, ['IFREG_KAFKA_TLS_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)']],
    ['TLS and SASL both incomplete', { IFREG_KAFKA_TLS: 'true', IFREG_KAFKA_TLS_KEY_FILE: key, IFREG_KAFKA_SASL_MECHANISM: 'plain', IFREG_KAFKA_SASL_USERNAME: 'u' }, [
      'IFREG_KAFKA_TLS_CERT_FILE, IFREG_KAFKA_TLS_KEY_FILE: a client certificate needs its key and the key its certificate',
      'IFREG_KAFKA_SASL_PASSWORD (or IFREG_KAFKA_SASL_PASSWORD_FILE): required when IFREG_KAFKA_SASL_MECHANISM=plain',
    ]],
  ])('refuses %s with a ConfigError naming the variables', (_what, env, expected) => {
    expect(problems(() => load(env))).toEqual(expected);
  });

  it('no problem message carries the password', () => {
    const text = problems(() => load({ IFREG_KAFKA_SASL_USERNAME: 'u', IFREG_KAFKA_SASL_PASSWORD: 'do-not-print-me' })).join('\n');
    expect(text).not.toContain('do-not-print-me');
  });
});
