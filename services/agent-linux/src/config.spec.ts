import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@ifreg/platform';
import { loadConfig, scopeFromHostname } from './config';

describe('the default scope', () => {
  it('is the host name cut to 1-64 characters of [A-Za-z0-9._-]', () => {
    expect(scopeFromHostname('web-01.example.org')).toBe('web-01.example.org');
    expect(scopeFromHostname('my host (lab)')).toBe('my-host-lab');
    expect(scopeFromHostname('ünï')).toBe('n');
    expect(scopeFromHostname('x'.repeat(80))).toHaveLength(64);
    expect(scopeFromHostname('***')).toBe('local');
  });
});

describe('the configuration from the environment', () => {
  it('defaults to HTTP on the local all-in-one, /sys/class/net, a 2 s poll and a state file named after the scope', () => {
    expect(loadConfig({}, 'My Host')).toEqual({
      scope: 'My-Host',
      providerId: 'agent-linux',
      transport: { kind: 'http', url: 'http://127.0.0.1:8080' },
      stateFile: 'data/agent-linux-My-Host.json',
      host: { sysRoot: '/sys/class/net', bootIdPath: '/proc/sys/kernel/random/boot_id', machineIdPath: '/etc/machine-id' },
      pollMs: 2000,
      timeoutMs: 10_000,
      objects: { allowSets: false, ipCommand: ['ip'] },
      http: { port: 8083, host: '127.0.0.1' },
      log: { level: 'info', pretty: false },
    });
  });

  it('takes Kafka settings from the KAFKA_* variables when the transport is kafka', () => {
    const config = loadConfig({ IFREG_AGENT_TRANSPORT: 'kafka', KAFKA_BROKERS: 'k1:9092,k2:9092', IFREG_TOPIC_OUTCOMES: 'my.outcomes', IFREG_AGENT_SCOPE: 'h1' });

    expect(config.transport).toMatchObject({
      kind: 'kafka',
      kafka: { brokers: ['k1:9092', 'k2:9092'], clientId: 'ifreg-agent-linux-h1', topics: { outcomes: 'my.outcomes', agentMessages: 'ifreg.agent-messages' } },
    });
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ IFREG_AGENT_SCOPE: 'bad scope', IFREG_AGENT_TRANSPORT: 'smtp', IFREG_URL: 'ftp://x', IFREG_AGENT_POLL_MS: '5' })).toThrow(ConfigError);
    try {
      loadConfig({ IFREG_AGENT_SCOPE: 'bad scope', IFREG_AGENT_TRANSPORT: 'smtp', IFREG_URL: 'ftp://x', IFREG_AGENT_POLL_MS: '5' });
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['IFREG_AGENT_SCOPE', 'IFREG_AGENT_TRANSPORT', 'IFREG_URL', 'IFREG_AGENT_POLL_MS']);
    }
  });
});

describe('secrets of the agent', () => {
  it('takes the token from IFREG_TOKEN_FILE, and the Kafka TLS and SASL settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ifreg-agent-config-'));
    try {
      writeFileSync(join(dir, 'token'), 'token-from-a-file-0123\n');
      expect(loadConfig({ IFREG_TOKEN_FILE: join(dir, 'token') }, 'h').transport).toEqual({ kind: 'http', url: 'http://127.0.0.1:8080', token: 'token-from-a-file-0123' });
      expect(() => loadConfig({ IFREG_TOKEN: 'x', IFREG_TOKEN_FILE: join(dir, 'token') }, 'h')).toThrow(new ConfigError(['IFREG_TOKEN: set IFREG_TOKEN or IFREG_TOKEN_FILE, not both']));
      const kafka = loadConfig({ IFREG_AGENT_TRANSPORT: 'kafka', IFREG_KAFKA_TLS: 'true', IFREG_KAFKA_SASL_MECHANISM: 'scram-sha-512', IFREG_KAFKA_SASL_USERNAME: 'agent', IFREG_KAFKA_SASL_PASSWORD: 'pw' }, 'h');
      expect(kafka.transport).toMatchObject({ kind: 'kafka', kafka: { tls: { rejectUnauthorized: true }, sasl: { mechanism: 'scram-sha-512', username: 'agent', password: 'pw' } } });
      expect(() => loadConfig({ IFREG_AGENT_TRANSPORT: 'kafka', IFREG_KAFKA_SASL_MECHANISM: 'plain' }, 'h')).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
