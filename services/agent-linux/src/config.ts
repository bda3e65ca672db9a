import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { SCOPE_PATTERN } from '@ifreg/domain';
import { kafkaEnvSchema, kafkaSettingsFromEnv } from '@ifreg/messaging';
import { env, parseConfig, secretSetting } from '@ifreg/platform';

/** This host's default scope: its name, cut to the scope alphabet (DESIGN.md §2.9). */
export function scopeFromHostname(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
  return cleaned || 'local';
}

const envShape = (host: string) =>
  z.object({
      ...kafkaEnvSchema.shape,
      IFREG_AGENT_SCOPE: z.string().regex(SCOPE_PATTERN, 'must be 1-64 characters of [A-Za-z0-9._-]').default(scopeFromHostname(host)),
      IFREG_AGENT_PROVIDER_ID: z.string().min(1).max(128).default('agent-linux'),
      IFREG_AGENT_TRANSPORT: z.enum(['http', 'kafka']).default('http'),
      IFREG_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://127.0.0.1:8080'),
      IFREG_TOKEN: z.string().min(1).optional(),
      IFREG_TOKEN_FILE: env.file(),
      IFREG_AGENT_STATE: z.string().min(1).optional(),
      IFREG_SYSFS: z.string().min(1).default('/sys/class/net'),
      IFREG_BOOT_ID_PATH: z.string().min(1).default('/proc/sys/kernel/random/boot_id'),
      IFREG_MACHINE_ID_PATH: z.string().min(1).default('/etc/machine-id'),
      IFREG_AGENT_POLL_MS: env.int(2000, 50, 3_600_000),
      IFREG_AGENT_TIMEOUT_MS: env.int(10_000, 100, 60_000),
      // Sets of admin status and alias through `ip`: off unless enabled (they need CAP_NET_ADMIN).
      IFREG_AGENT_OBJECT_SETS: env.bool(false),
      // The network namespace of the interfaces read through IFREG_SYSFS, when it is not the agent's own.
      IFREG_AGENT_NETNS: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a network namespace name').optional(),
      IFREG_HTTP_PORT: env.port(8083),
      IFREG_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
      IFREG_LOG_LEVEL: env.logLevel(),
      IFREG_LOG_PRETTY: env.bool(false),
    });

/** Every variable this service reads (checked against docker-compose.yml by tools/compose). */
export const ENV_KEYS: readonly string[] = Object.keys(envShape('local').shape);

const schema = (host: string) =>
  envShape(host)
    .transform((c) => {
      const token = c.IFREG_AGENT_TRANSPORT === 'http' ? secretSetting('IFREG_TOKEN', c.IFREG_TOKEN, c.IFREG_TOKEN_FILE) : undefined;
      return {
        scope: c.IFREG_AGENT_SCOPE,
        providerId: c.IFREG_AGENT_PROVIDER_ID,
        transport:
          c.IFREG_AGENT_TRANSPORT === 'kafka'
            ? ({ kind: 'kafka', kafka: kafkaSettingsFromEnv(c, `ifreg-agent-linux-${c.IFREG_AGENT_SCOPE}`) } as const)
            : ({ kind: 'http', url: c.IFREG_URL, ...(token === undefined ? {} : { token }) } as const),
        stateFile: c.IFREG_AGENT_STATE ?? join('data', `agent-linux-${c.IFREG_AGENT_SCOPE}.json`),
        host: { sysRoot: c.IFREG_SYSFS, bootIdPath: c.IFREG_BOOT_ID_PATH, machineIdPath: c.IFREG_MACHINE_ID_PATH },
        pollMs: c.IFREG_AGENT_POLL_MS,
        timeoutMs: c.IFREG_AGENT_TIMEOUT_MS,
        objects: { allowSets: c.IFREG_AGENT_OBJECT_SETS, ipCommand: c.IFREG_AGENT_NETNS === undefined ? ['ip'] : ['ip', '-n', c.IFREG_AGENT_NETNS] },
        http: { port: c.IFREG_HTTP_PORT, host: c.IFREG_HTTP_HOST },
        log: { level: c.IFREG_LOG_LEVEL, pretty: c.IFREG_LOG_PRETTY },
      };
    });

export type AgentLinuxConfig = z.infer<ReturnType<typeof schema>>;

/** Settings of the Linux agent from the environment; `host` names the default scope. */
export const loadConfig = (source: Readonly<Record<string, string | undefined>>, host: string = hostname()): AgentLinuxConfig =>
  parseConfig(schema(host), source);
