import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SERVICE_NODE_FLAGS } from '@ifreg/platform';
import type { Cleanup } from './cleanup';

type LogEntry = Record<string, unknown>;
export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface ServiceProcessOptions {
  /** Variables on top of this process's environment (without its ifreg settings). */
  readonly env: Readonly<Record<string, string>>;
  /** Arguments after the script. */
  readonly args?: readonly string[];
  /** Runs node through this command, e.g. `ip netns exec <ns>`. */
  readonly command?: readonly string[];
  /** Writes a V8 CPU profile into this directory when the process exits (node --cpu-prof). */
  readonly cpuProfDir?: string;
}

/** Entries kept per log message for `logged`: bounded, so that a process under load does not fill the test's memory. */
const KEPT_PER_MSG = 1_000;

/**
 * This process's environment without ifreg's settings: a service gets exactly the settings
 * the test gives it (an IFREG_TOKEN or KAFKA_BROKERS in the shell must not leak in).
 */
function inheritedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('IFREG_') && key !== 'KAFKA_BROKERS' && key !== 'EVENTSTORE_URL'));
}

/**
 * A built ifreg service (`node services/<name>/dist/main.js`) as its own process, with the
 * production node flags. Its JSON log lines are watched for the lines a test waits on; the
 * last 300 lines are kept for error messages, and counts of every `msg`.
 */
export class ServiceProcess {
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();
  private readonly child: ChildProcess;
  private readonly tailLines: string[] = [];
  private readonly counts = new Map<string, number>();
  private readonly entries = new Map<string, LogEntry[]>();
  private readonly lastEntries = new Map<string, LogEntry>();
  private readonly waiters = new Set<(entry: LogEntry) => void>();

  constructor(readonly name: string, script: string, options: ServiceProcessOptions) {
    const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
    const node = [process.execPath, ...SERVICE_NODE_FLAGS, ...profile, script, ...(options.args ?? [])];
    const [bin = process.execPath, ...args] = [...(options.command ?? []), ...node];
    this.child = spawn(bin, args, { env: { ...inheritedEnv(), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
  }

  /** Spawns and registers a stop (SIGTERM, SIGKILL after 5 s) with `cleanup`. */
  static spawn(cleanup: Cleanup, name: string, script: string, options: ServiceProcessOptions): ServiceProcess {
    return cleanup.add(new ServiceProcess(name, script, options), async (p) => void (await p.stop(5_000)), name);
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
    return this.entries.get(msg)?.[0];
  }

  /** The last log line with this msg, if any. */
  last(msg: string): LogEntry | undefined {
    return this.lastEntries.get(msg);
  }

  /** The log lines with this msg so far (the first 1,000). */
  logged(msg: string): LogEntry[] {
    return [...(this.entries.get(msg) ?? [])];
  }

  /** Its ops URL (/healthz, /readyz, /metrics), from its 'registrar started' line. */
  get opsUrl(): string | undefined {
    const url = this.first('registrar started')?.['url'];
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
    const seen = this.first(msg);
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

  /** Sends a signal while it runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGKILL: no shutdown code runs (a crash, an OOM kill, a power cut of the process). */
  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** SIGTERM (a clean stop; a CPU profile is written then), SIGKILL after `graceMs`. */
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
    const kept = this.entries.get(msg);
    if (kept === undefined) this.entries.set(msg, [entry]);
    else if (kept.length < KEPT_PER_MSG) kept.push(entry);
    this.lastEntries.set(msg, entry);
    for (const waiter of [...this.waiters]) waiter(entry);
  }
}

export interface StartOptions extends ServiceProcessOptions {
  /** The log message that says it is ready; its `url` field names where it listens. */
  readonly ready: string;
  readonly name?: string;
  readonly timeoutMs?: number;
  /** Stops it after the test; without one, the caller stops it. */
  readonly cleanup?: Cleanup;
}

export interface StartedService {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly process: ServiceProcess;
  stop(): Promise<void>;
}

/** A built service (logging at info) once it is ready; stopped again when it does not get there. */
export async function startService(script: string, options: StartOptions): Promise<StartedService> {
  const name = options.name ?? script;
  const spawned = { ...options, env: { IFREG_LOG_LEVEL: 'info', ...options.env } };
  const service = options.cleanup ? ServiceProcess.spawn(options.cleanup, name, script, spawned) : new ServiceProcess(name, script, spawned);
  try {
    const ready = await service.waitForLog(options.ready, options.timeoutMs ?? 30_000);
    return { url: new URL(String(ready['url'])).origin, process: service, stop: async () => void (await service.stop()) };
  } catch (error) {
    await service.stop();
    throw error;
  }
}
