import { randomUUID } from 'node:crypto';
import { type Cleanup, serviceMain, ServiceProcess } from '@ifreg/testing';

/** The topics, group and store settings of one registrar deployment (one scenario). */
export interface Deployment {
  readonly brokers: string;
  readonly agentMessages: string;
  readonly outcomes: string;
  readonly deadLetters: string;
  readonly group: string;
  readonly partitions: number;
  /** IFREG_STORE and its settings. */
  readonly store: Readonly<Record<string, string>>;
  /** Further registrar settings (IFREG_MAX_IF_INDEX, IFREG_BATCH_SIZE…). */
  readonly registrar?: Readonly<Record<string, string>>;
}

/** Fresh topic and group names for one scenario. */
export function deployment(name: string, brokers: string, store: Readonly<Record<string, string>>, more: Partial<Deployment> = {}): Deployment {
  const id = `${name}-${randomUUID().slice(0, 8)}`;
  return {
    brokers,
    agentMessages: `ifreg-faults-in-${id}`,
    outcomes: `ifreg-faults-out-${id}`,
    deadLetters: `ifreg-faults-dead-${id}`,
    group: `ifreg-faults-registrar-${id}`,
    partitions: 6,
    store,
    ...more,
  };
}

export function registrarEnv(d: Deployment): Record<string, string> {
  return {
    KAFKA_BROKERS: d.brokers,
    IFREG_TOPIC_AGENT_MESSAGES: d.agentMessages,
    IFREG_TOPIC_OUTCOMES: d.outcomes,
    IFREG_TOPIC_DEAD_LETTERS: d.deadLetters,
    IFREG_KAFKA_GROUP: d.group,
    IFREG_KAFKA_PARTITIONS: String(d.partitions),
    // The broker's minimum: a killed registrar's partitions move on after 6 s, not 10.
    IFREG_KAFKA_SESSION_TIMEOUT_MS: '6000',
    IFREG_HTTP_PORT: '0',
    IFREG_LOG_LEVEL: 'info',
    ...d.store,
    ...d.registrar,
  };
}

/** A registrar process of `d`, killed after the scenario; resolves once it logged 'registrar started'. */
export async function startRegistrar(cleanup: Cleanup, d: Deployment, name = 'registrar', timeoutMs = 30_000): Promise<ServiceProcess> {
  const registrar = ServiceProcess.spawn(cleanup, name, serviceMain('registrar'), { env: registrarEnv(d) });
  await registrar.waitForLog('registrar started', timeoutMs);
  return registrar;
}

/** A query service on the store of `d`, killed after the scenario; resolves with its URL once it caught up. */
export async function startQuery(cleanup: Cleanup, store: Readonly<Record<string, string>>, name = 'query', timeoutMs = 60_000): Promise<{ service: ServiceProcess; url: string }> {
  const service = ServiceProcess.spawn(cleanup, name, serviceMain('query'), { env: { IFREG_HTTP_PORT: '0', IFREG_LOG_LEVEL: 'info', ...store } });
  const entry = await service.waitForLog('query service caught up', timeoutMs);
  return { service, url: String(entry['url']) };
}

/**
 * Restarts the registrar when it exits by itself, as a supervisor (systemd, Kubernetes)
 * would: the registrar exits 1 when its Kafka consumer gives up. Records each restart.
 */
export class Supervisor {
  /** Each restart: when, how the previous process ended, and its last log lines (why). */
  readonly restarts: { at: number; exit: string; tail: string }[] = [];
  private stopped = false;
  private current: ServiceProcess;

  constructor(private readonly cleanup: Cleanup, private readonly d: Deployment, first: ServiceProcess) {
    this.current = first;
    cleanup.add(this, (s) => s.stop(), 'supervisor');
    void this.loop();
  }

  get registrar(): ServiceProcess {
    return this.current;
  }

  stop(): void {
    this.stopped = true;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const exit = await this.current.exited;
      if (this.stopped) return;
      // (why: its error and fatal log lines, and what it wrote that is not a log line, such as a crash's stack)
      const why = this.current.tail(60).split('\n').filter((line) => !line.startsWith('{') || /"level":(50|60)/.test(line));
      this.restarts.push({ at: Date.now(), exit: String(exit.code ?? exit.signal), tail: why.slice(0, 8).join('\n') });
      // (registered again, so that a cleanup stops the supervisor before it kills this registrar)
      this.cleanup.add(this, (s) => s.stop(), 'supervisor');
      try {
        this.current = await startRegistrar(this.cleanup, this.d, `registrar-${this.restarts.length + 1}`, 60_000);
      } catch {
        // it failed to start (the broker still away): the loop tries again once this one exited
      }
    }
  }
}
