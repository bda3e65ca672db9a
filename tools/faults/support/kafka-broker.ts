import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, sleep } from '@ifreg/testing';

const run = promisify(execFile);
const scripts = join(ROOT, 'deploy', 'kafka');

/** A TCP port nobody listens on right now (the kernel's pick). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A PRIVATE single-node KRaft broker of deploy/kafka on ports of its own and a state
 * directory of its own, for the scenarios that stop or crash the broker. The shared broker
 * on 9092 (the one KAFKA_BROKERS names) is never touched.
 *
 * start.sh always formats empty storage, so a *restart* that keeps the topics, the committed
 * offsets and the records cannot go through it: restart() relaunches the very command line
 * of the running JVM (read from /proc/<pid>/cmdline) on the same storage, as a supervisor
 * (systemd, a pod) would, and writes the new pid where stop.sh looks for it.
 */
export class PrivateKafka {
  private argv: string[] = [];

  private constructor(readonly port: number, readonly controllerPort: number, private readonly state: string) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, KAFKA_PORT: String(this.port), KAFKA_CONTROLLER_PORT: String(this.controllerPort), IFREG_KAFKA_STATE: this.state, KAFKA_NUM_PARTITIONS: '6' };
  }

  private get pidFile(): string {
    return join(this.state, 'kafka.pid');
  }

  get log(): string {
    return join(this.state, 'kafka.log');
  }

  /** The broker's pid, or undefined when it is not running. */
  get pid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      return pid > 0 && alive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Starts a fresh broker with deploy/kafka/start.sh (3–10 s). */
  static async start(): Promise<PrivateKafka> {
    const state = mkdtempSync(join(tmpdir(), 'ifreg-faults-kafka-'));
    const broker = new PrivateKafka(await freePort(), await freePort(), state);
    try {
      await run(join(scripts, 'start.sh'), [], { env: broker.env, timeout: 180_000 });
      const pid = broker.pid;
      if (pid === undefined) throw new Error('start.sh left no running broker');
      broker.argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
    } catch (error) {
      await broker.destroy();
      throw error;
    }
    return broker;
  }

  /**
   * Stops the JVM: SIGTERM is a controlled shutdown (stop.sh's way), SIGKILL a crash.
   * The storage stays. Resolves once the process is gone.
   */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM', timeoutMs = 30_000): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    process.kill(pid, signal);
    const deadline = Date.now() + timeoutMs;
    while (alive(pid)) {
      if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
      await sleep(50);
    }
  }

  /** Launches the broker again on the same storage and ports; resolves once it answers requests (status.sh). */
  async resume(timeoutMs = 60_000): Promise<void> {
    if (this.pid !== undefined) throw new Error('the private broker is still running');
    const [command, ...args] = this.argv;
    if (command === undefined) throw new Error('no broker command line recorded');
    const out = openSync(this.log, 'a');
    try {
      const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out] });
      child.unref();
      writeFileSync(this.pidFile, String(child.pid));
    } finally {
      closeSync(out);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await run(join(scripts, 'status.sh'), [], { env: this.env, timeout: 10_000 });
        return;
      } catch (error) {
        if (this.pid === undefined) throw new Error(`the private broker exited while restarting; see ${this.log}`, { cause: error });
        if (Date.now() > deadline) throw new Error(`the private broker did not answer within ${timeoutMs} ms`, { cause: error });
        await sleep(200);
      }
    }
  }

  /** stop.sh (clean stop, storage deleted), then the state directory is removed. */
  async destroy(): Promise<void> {
    await run(join(scripts, 'stop.sh'), [], { env: this.env, timeout: 60_000 }).catch(() => undefined);
    const pid = this.pid;
    if (pid !== undefined) await this.stop('SIGKILL');
    rmSync(this.state, { recursive: true, force: true });
  }
}
