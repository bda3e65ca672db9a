import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SERVICE_NODE_FLAGS } from '@ifreg/platform';

export interface SpawnOptions {
  /** Variables on top of this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Writes a V8 CPU profile into this directory when the process exits (node --cpu-prof). */
  readonly cpuProfDir?: string;
}

type LogEntry = Record<string, unknown>;

/**
 * This process's environment without ifreg's settings: a service measured here gets exactly
 * the settings the benchmark gives it (an IFREG_TOKEN in the shell would, for one, make the
 * query service listen on every interface and refuse the rebuild request).
 */
function inheritedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('IFREG_') && key !== 'KAFKA_BROKERS' && key !== 'EVENTSTORE_URL'));
}

/**
 * A built ifreg service (or the bare server) run as its own process, as in production: the
 * bench never imports another service (Nx boundaries). Its JSON log lines are watched for
 * the line that says it is ready; the last ones are kept for error messages.
 */
export class ServiceProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly tailLines: string[] = [];
  private readonly waiters = new Set<(entry: LogEntry) => void>();

  constructor(readonly name: string, script: string, options: SpawnOptions) {
    const flags = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
    this.child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...flags, script], { env: { ...inheritedEnv(), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first JSON log line whose msg is `msg` (from now on), or fails on exit or timeout. */
  waitForLog(msg: string, timeoutMs: number): Promise<LogEntry> {
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

  /** Resident set size from /proc (Linux). */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    if (kb === undefined) throw new Error(`no VmRSS for ${this.name} (pid ${this.pid})`);
    return Number(kb) * 1024;
  }

  /** SIGTERM (a clean stop; a CPU profile is written then), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  tail(lines = 20): string {
    return this.tailLines.slice(-lines).join('\n');
  }

  private onLine(line: string): void {
    this.tailLines.push(line);
    if (this.tailLines.length > 200) this.tailLines.splice(0, 100);
    if (this.waiters.size === 0 || !line.startsWith('{')) return;
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return;
    }
    for (const waiter of [...this.waiters]) waiter(entry);
  }
}
