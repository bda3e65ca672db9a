import { ConfigError } from '@ifreg/platform';
import { simProgram, simulationConfig } from './config';

const flags = (...argv: string[]) => {
  const program = simProgram().exitOverride().configureOutput({ writeErr: () => undefined });
  program.parse(argv, { from: 'user' });
  return Object.fromEntries(Object.entries(program.opts()).filter(([name]) => program.getOptionValueSource(name) === 'cli'));
};

describe('sim options', () => {
  it('come from flags over the environment over defaults', () => {
    const { simulation, progress, logLevel } = simulationConfig(flags('--scopes', '3', '--churn', '0.2', '--wait', '--no-progress'), {
      IFREG_SIM_SCOPES: '50',
      IFREG_SIM_PROVIDERS: '4',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      IFREG_TOPIC_OUTCOMES: 'my.outcomes',
    }, 0);
    expect(simulation).toMatchObject({
      scopes: 3,
      providers: 4,
      interfaces: 5,
      churn: 0.2,
      invalid: 0,
      rate: 0,
      wait: true,
      initialBoot: true,
      bootEverySec: 0,
      scopePrefix: 'sim',
      invalidKinds: ['bad-luid-index', 'bad-mac', 'unknown-field', 'not-json', 'bad-scope'],
      kafka: { brokers: ['k1:9092', 'k2:9092'], topics: { agentMessages: 'ifreg.agent-messages', outcomes: 'my.outcomes', deadLetters: 'ifreg.dead-letters' } },
    });
    expect(simulation.count).toBeUndefined();
    expect(simulation.runId).toMatch(/^sim-19700101000000-[0-9a-f]{6}$/);
    expect(Number.isInteger(simulation.seed)).toBe(true);
    expect([progress, logLevel]).toEqual([false, 'warn']);
  });

  it('take the topics, brokers, seed and kinds from flags', () => {
    const { simulation } = simulationConfig(
      flags('--brokers', 'b:1', '--topic', 't.in', '--outcomes-topic', 't.out', '--dead-letters-topic', 't.dead', '--seed', '9', '--invalid-kinds', 'bad-mac, not-json', '--count', '0', '--no-initial-boot'),
      {},
    );
    expect(simulation).toMatchObject({ seed: 9, count: 0, initialBoot: false, invalidKinds: ['bad-mac', 'not-json'], kafka: { brokers: ['b:1'], topics: { agentMessages: 't.in', outcomes: 't.out', deadLetters: 't.dead' } } });
  });

  it('are refused with the flag and its variable named', () => {
    const attempt = () => simulationConfig(flags('--churn', '2', '--invalid-kinds', 'bad-mac,purple'), { IFREG_SIM_SCOPES: 'many' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/--churn \(IFREG_SIM_CHURN\): .*1/);
    expect(attempt).toThrow(/--scopes \(IFREG_SIM_SCOPES\): /);
    expect(attempt).toThrow(/--invalid-kinds \(IFREG_SIM_INVALID_KINDS\): /);
  });

  it('refuse an unknown flag as a usage error', () => {
    expect(() => flags('--scoops', '3')).toThrow(expect.objectContaining({ code: 'commander.unknownOption' }));
  });
});
