import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SERVICE_NODE_FLAGS } from '@ifreg/platform';
import type { Cleanup } from './cleanup';

/** The repository root (this file is tools/faults/support/service.ts). */
export const ROOT = join(__dirname, '..', '..', '..');

let built = false;
/** Transpiles the workspace once per test file (node tools/build.mjs, ~0.2 s): the scenarios run the built services. */
export function buildOnce(): void {
  if (built) return;
  execFileSync(process.execPath, [join(ROOT, 'tools', 'build.mjs')], { cwd: ROOT, stdio: 'ignore', timeout: 120_000 });
  built = true;
}

type LogEntry = Record<string, unknown>;
export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * This process's environment without ifreg's settings: a service gets exactly the settings
 * the scenario gives it (an IFREG_TOKEN or KAFKA_BROKERS in the shell must not leak in).
 */
function inheritedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('IFREG_') && key !== 'KAFKA_BROKERS' && key !== 'EVENTSTORE_URL'));
}

/**
 * A built ifreg service (`node services/<name>/dist/<script>`) as its own process. Its JSON
 * log lines are watched for the lines a scenario waits on; the last 300 lines are kept for
 * error messages, and counts of every `msg` are kept (bounded memory under load).
 */
export class ServiceProcess {
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();
  private readonly child: ChildProcess;
  private readonly tailLines: string[] = [];
  private readonly counts = new Map<string, number>();
  private readonly firstEntries = new Map<string, LogEntry>();
  private readonly lastEntries = new Map<string, LogEntry>();
  private readonly waiters = new Set<(entry: LogEntry) => void>();

  constructor(readonly name: string, script: string, env: Readonly<Record<string, string>>, args: readonly string[] = []) {
    this.child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, script, ...args], { env: { ...inheritedEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
  }

  /** Spawns and registers a kill (SIGKILL if it is still running) with `cleanup`. */
  static spawn(cleanup: Cleanup, name: string, script: string, env: Readonly<Record<string, string>>, args: readonly string[] = []): ServiceProcess {
    return cleanup.add(new ServiceProcess(name, script, env, args), async (p) => void (await p.stop(5_000)), name);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How many log lines with this msg it wrote so far. */
  count(msg: string): number {
    return this.counts.get(msg) ?? 0;
  }

  /** The first log line with this msg, if any. */
  first(msg: string): LogEntry | undefined {
    return this.firstEntries.get(msg);
  }

  /** The last log line with this msg, if any. */
  last(msg: string): LogEntry | undefined {
    return this.lastEntries.get(msg);
  }

  /** Its ops URL (/healthz, /readyz, /metrics), from its 'registrar started' line. */
  get opsUrl(): string | undefined {
    const url = this.firstEntries.get('registrar started')?.['url'];
    return typeof url === 'string' ? url : undefined;
  }

  /** The sum of a counter or gauge of its /metrics over all labels; NaN when it cannot be read. */
  async metric(name: string): Promise<number> {
    const url = this.opsUrl;
    if (url === undefined || !this.running) return Number.NaN;
    try {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    } catch {
      return Number.NaN;
    }
  }

  /** Resolves with the first JSON log line whose msg is `msg` (also one already written), or fails on exit or timeout. */
  waitForLog(msg: string, timeoutMs: number): Promise<LogEntry> {
    const seen = this.firstEntries.get(msg);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const done = (error: Error | undefined, entry?: LogEntry): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        if (error) reject(error);
        else resolve(entry ?? {});
      };
      const waiter = (entry: LogEntry): void => {
        if (entry['msg'] === msg) done(undefined, entry);
      };
      const timer = setTimeout(() => done(new Error(`${this.name}: no '${msg}' log line within ${timeoutMs} ms; output:\n${this.tail()}`)), timeoutMs);
      this.waiters.add(waiter);
      void this.exited.then(({ code, signal }) => done(new Error(`${this.name} exited (${code ?? signal}) before '${msg}'; output:\n${this.tail()}`)));
    });
  }

  /** Resident set size from /proc/<pid>/status (Linux), in bytes; undefined once it is gone. */
  rssBytes(): number | undefined {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1];
      return kb === undefined ? undefined : Number(kb) * 1024;
    } catch {
      return undefined;
    }
  }

  /** SIGKILL: no shutdown code runs (a crash, an OOM kill, a power cut of the process). */
  async kill(): Promise<Exit> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM (a clean stop), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  tail(lines = 25): string {
    return this.tailLines.slice(-lines).join('\n');
  }

  private onLine(line: string): void {
    this.tailLines.push(line);
    if (this.tailLines.length > 300) this.tailLines.splice(0, 150);
    if (!line.startsWith('{')) return;
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return;
    }
    const msg = typeof entry['msg'] === 'string' ? entry['msg'] : '';
    this.counts.set(msg, (this.counts.get(msg) ?? 0) + 1);
    if (!this.firstEntries.has(msg)) this.firstEntries.set(msg, entry);
    this.lastEntries.set(msg, entry);
    for (const waiter of [...this.waiters]) waiter(entry);
  }
}

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
  const registrar = ServiceProcess.spawn(cleanup, name, join(ROOT, 'services', 'registrar', 'dist', 'main.js'), registrarEnv(d));
  await registrar.waitForLog('registrar started', timeoutMs);
  return registrar;
}

/** A query service on the store of `d`, killed after the scenario; resolves with its URL once it caught up. */
export async function startQuery(cleanup: Cleanup, store: Readonly<Record<string, string>>, name = 'query', timeoutMs = 60_000): Promise<{ service: ServiceProcess; url: string }> {
  const service = ServiceProcess.spawn(cleanup, name, join(ROOT, 'services', 'query', 'dist', 'main.js'), { IFREG_HTTP_PORT: '0', IFREG_LOG_LEVEL: 'info', ...store });
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
