import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The real query service process (services/query/dist/main.js; build first) on a store, for
 * invariant (d). Ready once it logged 'query service caught up' (the store's history folded in).
 */
export class QueryProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(root: string, env: Record<string, string>) {
    // The store settings of `env` only: an IFREG_TOKEN of the shell would change where it listens.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('IFREG_')));
    this.child = spawn(process.execPath, [join(root, 'services', 'query', 'dist', 'main.js')], {
      env: { ...inherited, IFREG_HTTP_PORT: '0', IFREG_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [this.child.stdout, this.child.stderr]) if (stream) createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until it has caught up with the store and answers its base URL. */
  async started(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const entry = this.logged('query service caught up')[0];
      if (entry) return String(entry['url']);
      if (!this.running) throw new Error(`the query service exited during start-up; output:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`the query service did not catch up within ${timeoutMs} ms; output:\n${this.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  logged(msg: string): Record<string, unknown>[] {
    return this.lines.flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        return entry['msg'] === msg ? [entry] : [];
      } catch {
        return [];
      }
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  tail(lines = 30): string {
    return this.lines.slice(-lines).join('\n');
  }
}
