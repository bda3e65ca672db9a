import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Linux's USER_HZ: /proc counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds in a /proc stat file (a process's, all threads, or one thread's); NaN when it is gone. */
function statCpuSeconds(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** User + system CPU seconds of a process, all its threads (/proc/<pid>/stat); NaN when it is gone. */
export const cpuSecondsOf = (pid: number): number => statCpuSeconds(`/proc/${pid}/stat`);

/** A process's CPU seconds by thread name (MainThread, V8Worker, libuv-worker, a worker's name…). */
export function threadCpuOf(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let name: string;
    try {
      name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const seconds = statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
    if (!Number.isNaN(seconds)) out[name] = (out[name] ?? 0) + seconds;
  }
  return out;
}

/** Per thread name, what `after` adds to `before`. */
export const threadCpuDelta = (before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(after).map(([name, s]) => [name, s - (before[name] ?? 0)]));

/** This process's CPU seconds (user + system, all threads). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** The pid of deploy/kafka's broker (its pid file), when it runs on this machine. */
export function localBrokerPid(): number | undefined {
  const state = process.env['IFREG_KAFKA_STATE'] ?? join(tmpdir(), `ifreg-kafka-${process.env['KAFKA_PORT'] ?? '9092'}`);
  try {
    const pid = Number(readFileSync(join(state, 'kafka.pid'), 'utf8').trim());
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds of named processes between two moments. */
export class CpuMeter {
  private readonly start = new Map<string, number>();

  constructor(private readonly processes: Readonly<Record<string, () => number>>) {
    for (const [name, read] of Object.entries(processes)) this.start.set(name, read());
  }

  /** Seconds each process used since the meter was made. */
  used(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.processes).map(([name, read]) => [name, read() - (this.start.get(name) ?? 0)]));
  }
}

export const formatCpu = (used: Readonly<Record<string, number>>): string =>
  Object.entries(used)
    .map(([name, s]) => `${name} ${Number.isNaN(s) ? 'n/a' : `${s.toFixed(2)} s`}`)
    .join(', ');
