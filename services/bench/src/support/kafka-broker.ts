import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths';

/** The broker the Kafka benchmarks use, and how to let go of it. */
export interface KafkaBroker {
  readonly brokers: string[];
  release(): void;
}

const scripts = join(ROOT, 'deploy', 'kafka');

/*
 * Who uses deploy/kafka's broker: the same users folder as tools/jest/kafka-lease.js, so that
 * a jest run finishing meanwhile does not stop the broker under the bench, and the bench
 * does not stop it under a jest run.
 */
const leaseDir = join(tmpdir(), `ifreg-kafka-jest-${process.env['KAFKA_PORT'] ?? '9092'}`);
const users = join(leaseDir, 'users');
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};
const otherUsers = (): number[] => {
  let pids: number[];
  try {
    pids = readdirSync(users).map(Number);
  } catch {
    return [];
  }
  return pids.filter((pid) => pid !== process.pid && alive(pid));
};

/**
 * KAFKA_BROKERS when set (never started or stopped here); else deploy/kafka's broker, started
 * when it is not running (a few seconds; its first run fetches the jars with mvn) and stopped
 * by release() only if the bench started it and no jest run uses it by then.
 */
export function kafkaBroker(log: (line: string) => void): KafkaBroker {
  const given = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean);
  if (given && given.length > 0) return { brokers: given, release: () => undefined };
  mkdirSync(users, { recursive: true });
  writeFileSync(join(users, String(process.pid)), '');
  let wasRunning = true;
  try {
    execFileSync(join(scripts, 'status.sh'), { stdio: 'ignore', timeout: 10_000 });
  } catch {
    wasRunning = false;
  }
  const started = Date.now();
  const out = execFileSync(join(scripts, 'start.sh'), { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'ignore'] });
  const address = out.trim().split('\n').pop() ?? '127.0.0.1:9092';
  log(wasRunning ? `kafka: using the running broker at ${address}` : `kafka: started a broker at ${address} in ${Date.now() - started} ms`);
  let released = false;
  return {
    brokers: [address],
    release: () => {
      if (released) return;
      released = true;
      rmSync(join(users, String(process.pid)), { force: true });
      if (wasRunning) return;
      if (otherUsers().length > 0) {
        // A jest run uses it now: its teardown stops it once the last user is gone.
        writeFileSync(join(leaseDir, 'started-by-jest'), String(process.pid));
        log('kafka: left running for the jest run(s) using it');
        return;
      }
      execFileSync(join(scripts, 'stop.sh'), { timeout: 60_000, stdio: 'ignore' });
      log('kafka: stopped the broker the bench started');
    },
  };
}
