import type { Admin } from 'kafkajs';
import { createKafka, ensureTopics, KafkaAgentProducer, KafkaOutcomeSource, MAX_MESSAGES_PER_SEND, type KafkaSettings } from '@ifreg/messaging';
import type { Logger } from '@ifreg/platform';
import { MessagePlan, type PlanOptions, type PlannedMessage } from './generator';
import { Pacer, systemClock, type Clock } from './pacer';
import { SimStats, type LatencySummary, type OutcomeSummary, type SentSummary } from './stats';

export interface SimulationOptions extends PlanOptions {
  readonly kafka: KafkaSettings;
  /** Messages per second overall; 0 sends as fast as the broker takes them. */
  readonly rate: number;
  /** Stop sending after this many seconds… */
  readonly durationSec?: number;
  /** …or after this many steps (detections, removals, spoiled messages; BootEpochs come on top). */
  readonly count?: number;
  /** A BootEpoch for every scope every this many seconds; 0 = never. */
  readonly bootEverySec: number;
  /** A BootEpoch for every scope first, so each starts empty whatever earlier runs left. */
  readonly initialBoot: boolean;
  /** Consume the outcomes topic and match outcomes to messages (latencies, counts). */
  readonly wait: boolean;
  /** How long to wait for outstanding outcomes once everything is sent. */
  readonly waitTimeoutSec: number;
}

export interface SimProgress {
  readonly phase: 'sending' | 'waiting';
  readonly elapsedMs: number;
  readonly sent: number;
  /** Steps planned (undefined when bounded by duration only). */
  readonly steps: number | undefined;
  readonly outcomes: number;
  readonly pending: number;
  /** Messages per second over the last interval. */
  readonly rate: number;
}

export interface SimulationDeps {
  readonly log: Logger;
  readonly onProgress?: (progress: SimProgress) => void;
  readonly progressIntervalMs?: number;
  /** Aborting stops sending (and waiting); the summary covers what was done. */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
}

export interface SimulationSummary {
  readonly summary: 'ifreg-sim';
  readonly runId: string;
  readonly seed: number;
  readonly scopes: number;
  readonly providers: number;
  readonly interfaces: number;
  readonly churn: number;
  readonly invalid: number;
  readonly rate: number;
  readonly stoppedBy: 'count' | 'duration' | 'signal';
  readonly sent: SentSummary;
  /** Spoiled messages the registrar cannot read (not JSON, bad scope): dead letters, no outcome. */
  readonly deadLettersExpected: number;
  /** With wait only. */
  readonly outcomes?: OutcomeSummary;
  readonly latencyMs?: LatencySummary;
  /** With wait: every expected outcome arrived and was the expected one. */
  readonly ok?: boolean;
  readonly durationMs: number;
  readonly sendDurationMs: number;
  readonly messagesPerSecond: number;
}

/**
 * Runs the simulated fleet against the agent-messages topic: creates the topics when
 * missing, sends the plan's messages paced in batches (at most MAX_MESSAGES_PER_SEND per
 * send, in plan order, so each scope's messages keep their order), interleaves BootEpochs,
 * and with `wait` matches outcomes by causation id. Always stops by itself.
 */
export async function runSimulation(options: SimulationOptions, deps: SimulationDeps): Promise<SimulationSummary> {
  const clock = deps.clock ?? systemClock;
  const { log } = deps;
  const started = clock.now();
  const count = options.count ?? (options.durationSec === undefined ? options.scopes * options.providers * options.interfaces : undefined);
  const plan = new MessagePlan(options);
  const stats = new SimStats(options.wait);
  const kafka = createKafka(options.kafka, log);
  await createTopics(kafka.admin(), options.kafka, log);

  const producer = new KafkaAgentProducer(kafka, { topic: options.kafka.topics.agentMessages, defaultSource: 'ifreg-agent-sim' });
  const source = options.wait
    ? new KafkaOutcomeSource(kafka, { topic: options.kafka.topics.outcomes, log, groupIdPrefix: 'ifreg-sim-outcomes', maxWaitTimeMs: 200 })
    : undefined;
  source?.onOutcome((outcome) => stats.recordOutcome(outcome, clock.now()));
  let phase: SimProgress['phase'] = 'sending';
  let lastReport = { at: started, sent: 0 };
  const report = (): void => {
    const now = clock.now();
    const rate = ((stats.sent - lastReport.sent) / Math.max(now - lastReport.at, 1)) * 1000;
    lastReport = { at: now, sent: stats.sent };
    deps.onProgress?.({ phase, elapsedMs: now - started, sent: stats.sent, steps: count, outcomes: stats.outcomesReceived, pending: stats.pending, rate: Math.round(rate) });
  };
  const ticker = deps.onProgress ? setInterval(report, deps.progressIntervalMs ?? 1000) : undefined;
  ticker?.unref();

  await producer.connect();
  let sendStarted: number;
  let sendEnded: number;
  let stoppedBy: SimulationSummary['stoppedBy'];
  try {
    // Listening before the first send, so no outcome is missed.
    await source?.start();
    sendStarted = clock.now();
    stoppedBy = await sendPlan({ options, plan, stats, count, clock, signal: deps.signal, send: (batch) => producer.send(batch) });
    sendEnded = clock.now();
    log.info({ sent: stats.sent, ms: Math.round(sendEnded - sendStarted) }, 'simulation sent everything');
    if (source) {
      phase = 'waiting';
      const deadline = clock.now() + options.waitTimeoutSec * 1000;
      while (stats.pending > 0 && clock.now() < deadline && !deps.signal?.aborted) await clock.sleep(20);
      if (stats.pending > 0) log.warn({ pending: stats.pending }, 'outcomes still missing at the end of the wait');
    }
  } finally {
    if (ticker) clearInterval(ticker);
    if (deps.onProgress) report();
    await source?.stop();
    await producer.disconnect();
  }

  const sendDurationMs = Math.max(sendEnded - sendStarted, 1);
  const outcomes = source ? stats.outcomeSummary() : undefined;
  return {
    summary: 'ifreg-sim',
    runId: options.runId,
    seed: options.seed,
    scopes: options.scopes,
    providers: options.providers,
    interfaces: options.interfaces,
    churn: options.churn,
    invalid: options.invalid,
    rate: options.rate,
    stoppedBy,
    sent: stats.sentSummary(),
    deadLettersExpected: stats.deadLettersExpected,
    ...(outcomes ? { outcomes, latencyMs: stats.latency(), ok: outcomes.missing === 0 && outcomes.mismatched === 0 } : {}),
    durationMs: Math.round(clock.now() - started),
    sendDurationMs: Math.round(sendDurationMs),
    messagesPerSecond: Math.round((stats.sent / sendDurationMs) * 1000),
  };
}

interface SendLoop {
  readonly options: SimulationOptions;
  readonly plan: MessagePlan;
  readonly stats: SimStats;
  readonly count: number | undefined;
  readonly clock: Clock;
  readonly signal: AbortSignal | undefined;
  readonly send: (batch: { key: string; value: string }[]) => Promise<void>;
}

/** Sends until the count or the duration is reached (or the signal aborts); answers which. */
async function sendPlan({ options, plan, stats, count, clock, signal, send }: SendLoop): Promise<SimulationSummary['stoppedBy']> {
  const pacer = new Pacer(options.rate, MAX_MESSAGES_PER_SEND, clock);
  const start = clock.now();
  const deadline = options.durationSec === undefined ? Infinity : start + options.durationSec * 1000;
  const bootEveryMs = options.bootEverySec * 1000;
  let nextBoot = bootEveryMs > 0 ? start + bootEveryMs : Infinity;
  const boots: PlannedMessage[] = options.initialBoot ? plan.scopes.map((scope) => plan.boot(scope)) : [];
  let steps = 0;
  for (;;) {
    if (signal?.aborted) return 'signal';
    const now = clock.now();
    const countReached = count !== undefined && steps >= count;
    if (boots.length === 0 && (countReached || now >= deadline)) return countReached ? 'count' : 'duration';
    for (; now >= nextBoot; nextBoot += bootEveryMs) boots.push(...plan.scopes.map((scope) => plan.boot(scope)));
    // BootEpochs go first and are not paced: they are rare, and late ones would skew the plan.
    const room = MAX_MESSAGES_PER_SEND - Math.min(boots.length, MAX_MESSAGES_PER_SEND);
    const left = count === undefined ? room : Math.min(room, count - steps);
    const granted = left > 0 && now < deadline && boots.length < MAX_MESSAGES_PER_SEND ? await pacer.take(left) : 0;
    const batch = [...boots.splice(0, MAX_MESSAGES_PER_SEND), ...Array.from({ length: granted }, () => plan.next())];
    steps += granted;
    const at = clock.now();
    if (batch.length === 0) continue;
    for (const message of batch) stats.recordSent(message, at);
    await send(batch.map(({ key, value }) => ({ key, value })));
  }
}

async function createTopics(admin: Admin, settings: KafkaSettings, log: Logger): Promise<void> {
  await admin.connect();
  try {
    const { agentMessages, outcomes, deadLetters } = settings.topics;
    const ensured = await ensureTopics(admin, [agentMessages, outcomes, deadLetters], settings.partitions);
    if (ensured.created.length > 0) log.info({ created: ensured.created, partitions: settings.partitions }, 'created topics');
  } finally {
    await admin.disconnect();
  }
}
