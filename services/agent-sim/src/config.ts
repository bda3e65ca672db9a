import { randomBytes, randomInt } from 'node:crypto';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { kafkaEnvSchema, kafkaSettingsFromEnv } from '@ifreg/messaging';
import { ConfigError, env } from '@ifreg/platform';
import { INVALID_KINDS } from './invalid';
import type { SimulationOptions } from './runner';

/** Each flag and the variable it falls back to; a flag given on the command line wins. */
const FLAGS = {
  scopes: 'IFREG_SIM_SCOPES',
  providers: 'IFREG_SIM_PROVIDERS',
  interfaces: 'IFREG_SIM_INTERFACES',
  rate: 'IFREG_SIM_RATE',
  duration: 'IFREG_SIM_DURATION',
  count: 'IFREG_SIM_COUNT',
  churn: 'IFREG_SIM_CHURN',
  invalid: 'IFREG_SIM_INVALID',
  invalidKinds: 'IFREG_SIM_INVALID_KINDS',
  bootEvery: 'IFREG_SIM_BOOT_EVERY',
  initialBoot: 'IFREG_SIM_INITIAL_BOOT',
  wait: 'IFREG_SIM_WAIT',
  waitTimeout: 'IFREG_SIM_WAIT_TIMEOUT',
  seed: 'IFREG_SIM_SEED',
  runId: 'IFREG_SIM_RUN_ID',
  scopePrefix: 'IFREG_SIM_SCOPE_PREFIX',
  progress: 'IFREG_SIM_PROGRESS',
  logLevel: 'IFREG_LOG_LEVEL',
  brokers: 'KAFKA_BROKERS',
  partitions: 'IFREG_KAFKA_PARTITIONS',
  topic: 'IFREG_TOPIC_AGENT_MESSAGES',
  outcomesTopic: 'IFREG_TOPIC_OUTCOMES',
  deadLettersTopic: 'IFREG_TOPIC_DEAD_LETTERS',
} as const;
type Flag = keyof typeof FLAGS;
const flagOf = new Map<string, string>(Object.entries(FLAGS).map(([flag, variable]) => [variable, `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`]));

const ratio = z.coerce.number().min(0).max(1).default(0);
const seconds = (max: number) => z.coerce.number().positive().max(max);

const envShape = z.object({
    ...kafkaEnvSchema.shape,
    IFREG_SIM_SCOPES: env.int(10, 1, 100_000),
    IFREG_SIM_PROVIDERS: env.int(2, 1, 100_000),
    IFREG_SIM_INTERFACES: env.int(5, 1, 1_000_000),
    IFREG_SIM_RATE: z.coerce.number().min(0).max(10_000_000).default(0),
    IFREG_SIM_DURATION: seconds(7 * 24 * 3600).optional(),
    IFREG_SIM_COUNT: z.coerce.number().int().min(0).max(1_000_000_000).optional(),
    IFREG_SIM_CHURN: ratio,
    IFREG_SIM_INVALID: ratio,
    IFREG_SIM_INVALID_KINDS: z
      .string()
      .default(INVALID_KINDS.join(','))
      .transform((v) => v.split(',').map((k) => k.trim()).filter(Boolean))
      .pipe(z.array(z.enum(INVALID_KINDS)).min(1)),
    IFREG_SIM_BOOT_EVERY: z.coerce.number().min(0).max(7 * 24 * 3600).default(0),
    IFREG_SIM_INITIAL_BOOT: env.bool(true),
    IFREG_SIM_WAIT: env.bool(false),
    IFREG_SIM_WAIT_TIMEOUT: seconds(3600).default(30),
    IFREG_SIM_SEED: z.coerce.number().int().min(0).max(0xffffffff).optional(),
    IFREG_SIM_RUN_ID: z.string().regex(/^[A-Za-z0-9._:-]{1,80}$/, 'must be 1-80 characters of [A-Za-z0-9._:-]').optional(),
    IFREG_SIM_SCOPE_PREFIX: z.string().regex(/^[A-Za-z0-9._-]{1,48}$/, 'must be 1-48 characters of [A-Za-z0-9._-]').default('sim'),
    IFREG_SIM_PROGRESS: env.bool(true),
    IFREG_LOG_LEVEL: env.logLevel().default('warn'),
  });

/** Every variable this service reads (checked against docker-compose.yml by tools/compose). */
export const ENV_KEYS: readonly string[] = Object.keys(envShape.shape);

const schema = envShape
  .refine((c) => c.IFREG_SIM_PROVIDERS * c.IFREG_SIM_INTERFACES <= 0xffffff - 0x8000 + 1, {
    message: 'providers × interfaces must fit the 24-bit NetLuidIndexes of a scope',
    path: ['IFREG_SIM_INTERFACES'],
  });

export interface SimCommandLine {
  readonly simulation: SimulationOptions;
  readonly progress: boolean;
  readonly logLevel: string;
}

/** The `ifreg-sim` command; `parse` it, then hand its opts() to `simulationConfig`. */
export function simProgram(): Command {
  const program = new Command('ifreg-sim')
    .description('Simulates interface providers on many scopes, sending their messages to the registrar through Kafka. Stops by itself.')
    .showHelpAfterError('(run with --help for the options)')
    .allowExcessArguments(false);
  const option = (flags: string, description: string, flag: Flag) => new Option(flags, `${description} [env ${FLAGS[flag]}]`);
  program
    .addOption(option('--scopes <m>', 'scopes (computers) (default 10)', 'scopes'))
    .addOption(option('--providers <n>', 'providers per scope (default 2)', 'providers'))
    .addOption(option('--interfaces <k>', 'interfaces per provider (default 5)', 'interfaces'))
    .addOption(option('--rate <r>', 'messages per second overall, token-bucket paced; 0 = as fast as possible (default 0)', 'rate'))
    .addOption(option('--duration <s>', 'stop sending after this many seconds', 'duration'))
    .addOption(option('--count <c>', 'stop after this many steps (default: scopes × providers × interfaces)', 'count'))
    .addOption(option('--churn <ratio>', 'fraction of steps that remove a registered interface, re-detected later (default 0)', 'churn'))
    .addOption(option('--invalid <ratio>', 'fraction of steps that send a spoiled detection (default 0)', 'invalid'))
    .addOption(option('--invalid-kinds <list>', `how to spoil them, comma-separated: ${INVALID_KINDS.join(', ')} (default all)`, 'invalidKinds'))
    .addOption(option('--boot-every <s>', 'a BootEpoch for every scope every this many seconds; 0 = never (default 0)', 'bootEvery'))
    .addOption(option('--no-initial-boot', 'do not start every scope with a BootEpoch (then earlier runs\' registrations count)', 'initialBoot'))
    .addOption(option('--wait', 'consume the outcomes, match them by causationId, report latencies; exit 1 if any is missing or unexpected', 'wait'))
    .addOption(option('--wait-timeout <s>', 'how long to wait for outstanding outcomes after sending (default 30)', 'waitTimeout'))
    .addOption(option('--seed <n>', 'seed of the simulated fleet and its steps (default random; printed in the summary)', 'seed'))
    .addOption(option('--run-id <id>', 'prefix of the message ids (default random)', 'runId'))
    .addOption(option('--scope-prefix <p>', 'scopes are named <p>-0, <p>-1, … (default sim)', 'scopePrefix'))
    .addOption(option('--brokers <list>', 'Kafka bootstrap brokers host:port[,…] (default 127.0.0.1:9092)', 'brokers'))
    .addOption(option('--partitions <n>', 'partitions of topics created (default 6)', 'partitions'))
    .addOption(option('--topic <name>', 'agent-messages topic (default ifreg.agent-messages)', 'topic'))
    .addOption(option('--outcomes-topic <name>', 'outcomes topic (default ifreg.outcomes)', 'outcomesTopic'))
    .addOption(option('--dead-letters-topic <name>', 'dead-letters topic (default ifreg.dead-letters)', 'deadLettersTopic'))
    .addOption(option('--no-progress', 'no progress on stderr, only the summary line', 'progress'))
    .addOption(option('--log-level <level>', 'log level of the Kafka client and the simulator, on stderr (default warn)', 'logLevel'));
  return program;
}

/**
 * Flags over environment over defaults, validated once. Problems name the flag and its
 * variable, e.g. "--churn (IFREG_SIM_CHURN): Too big: expected number to be <=1".
 */
export function simulationConfig(flags: Readonly<Record<string, unknown>>, environment: Readonly<Record<string, string | undefined>>, startTime = Date.now()): SimCommandLine {
  const source: Record<string, string | undefined> = { ...environment };
  for (const [flag, variable] of Object.entries(FLAGS)) {
    const value = flags[flag];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') source[variable] = String(value);
  }
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '');
        const flag = flagOf.get(variable);
        return `${flag ? `${flag} (${variable})` : variable || '(options)'}: ${issue.message}`;
      }),
    );
  }
  const c = parsed.data;
  const simulation: SimulationOptions = {
    kafka: kafkaSettingsFromEnv(c, 'ifreg-agent-sim'),
    seed: c.IFREG_SIM_SEED ?? randomInt(0x1_0000_0000 - 1),
    runId: c.IFREG_SIM_RUN_ID ?? `sim-${new Date(startTime).toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`,
    scopes: c.IFREG_SIM_SCOPES,
    providers: c.IFREG_SIM_PROVIDERS,
    interfaces: c.IFREG_SIM_INTERFACES,
    scopePrefix: c.IFREG_SIM_SCOPE_PREFIX,
    churn: c.IFREG_SIM_CHURN,
    invalid: c.IFREG_SIM_INVALID,
    invalidKinds: c.IFREG_SIM_INVALID_KINDS,
    startTime,
    rate: c.IFREG_SIM_RATE,
    ...(c.IFREG_SIM_DURATION === undefined ? {} : { durationSec: c.IFREG_SIM_DURATION }),
    ...(c.IFREG_SIM_COUNT === undefined ? {} : { count: c.IFREG_SIM_COUNT }),
    bootEverySec: c.IFREG_SIM_BOOT_EVERY,
    initialBoot: c.IFREG_SIM_INITIAL_BOOT,
    wait: c.IFREG_SIM_WAIT,
    waitTimeoutSec: c.IFREG_SIM_WAIT_TIMEOUT,
  };
  return { simulation, progress: c.IFREG_SIM_PROGRESS, logLevel: c.IFREG_LOG_LEVEL };
}
