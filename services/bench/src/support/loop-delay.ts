/** Event-loop delay (ms) of a service since its previous scrape, from prom-client's default metrics (reset at each scrape). */
const SAMPLING_MS = 10;

export interface LoopDelay {
  readonly p99: number;
  readonly max: number;
}

/** Scrapes `${url}/metrics`: the service's loop delay (ms) since the last scrape, or undefined when it has none (the bare server). */
export async function loopDelay(url: string): Promise<LoopDelay | undefined> {
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  if (!response.ok) return undefined;
  // prom-client samples the loop every 10 ms and each sample counts that interval too.
  const value = (name: string): number => Number(/^(\S+?)(?:\{[^}]*\})? (\S+)$/m.exec(text.split('\n').find((l) => l.startsWith(name)) ?? '')?.[2] ?? Number.NaN) * 1000 - SAMPLING_MS;
  return { p99: value('nodejs_eventloop_lag_p99_seconds'), max: value('nodejs_eventloop_lag_max_seconds') };
}
