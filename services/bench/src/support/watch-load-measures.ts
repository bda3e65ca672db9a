import { performance } from 'node:perf_hooks';
import { slicedPercentiles, type Arrivals } from './arrivals';
import type { LoadPoster } from './load-poster';
import type { LoadWatcher } from './load-watcher';
import { sleep } from '@ifreg/testing';
import type { Timings } from './watch-load-plan';

/** POST latencies, delivery latencies (from the POST's answer) and fan-out spreads of seqs [first, end), in slices. */
export function timings(poster: LoadPoster, arrivals: Arrivals, first: number, end: number, slices: number): Timings {
  const post: { seq: number; value: number }[] = [];
  for (let seq = first; seq < end; seq++) post.push({ seq, value: poster.answeredAt[seq]! - poster.sentAt[seq]! });
  const got = arrivals.between(first, end);
  // A frame can come before the POST's answer does: that counts as 0.
  const delivery = got.map(({ seq, at }) => ({ seq, value: Math.max(0, at - poster.answeredAt[seq]!) }));
  const spread = new Map<number, { min: number; max: number }>();
  for (const { seq, at } of got) {
    const s = spread.get(seq) ?? { min: at, max: at };
    spread.set(seq, { min: Math.min(s.min, at), max: Math.max(s.max, at) });
  }
  return {
    post: slicedPercentiles(post, first, end, slices),
    delivery: slicedPercentiles(delivery, first, end, slices),
    spread: slicedPercentiles([...spread].map(([seq, s]) => ({ seq, value: s.max - s.min })), first, end, slices),
    deliveries: got.length,
    beforeAnswer: got.filter(({ seq, at }) => at < poster.answeredAt[seq]!).length,
  };
}

/** Deliveries per second of seqs [first, end): from the first POST sent to the last frame. */
export function deliveryRate(poster: LoadPoster, arrivals: Arrivals, first: number, end: number): number {
  const got = arrivals.between(first, end);
  const last = got.reduce((m, a) => Math.max(m, a.at), 0);
  return (got.length * 1000) / (last - poster.sentAt[first]!);
}

/** Every watcher resumes with Last-Event-ID at once, retrying every `retryMs` until accepted. */
export async function reconnectAll(watchers: readonly LoadWatcher[], retryMs: number) {
  const started = performance.now();
  let firstAccepted = Number.POSITIVE_INFINITY;
  let lastAccepted = 0;
  const statuses = new Map<string, number>();
  await Promise.all(
    watchers.map(async (w) => {
      for (;;) {
        const status = await w.connect(0).catch((error: NodeJS.ErrnoException) => error.code ?? 'error');
        statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
        if (status === 200) break;
        await sleep(retryMs);
      }
      const at = performance.now();
      firstAccepted = Math.min(firstAccepted, at);
      lastAccepted = Math.max(lastAccepted, at);
    }),
  );
  return { seconds: (lastAccepted - started) / 1000, acceptedWithinSeconds: (lastAccepted - firstAccepted) / 1000, lastAcceptedAt: Date.now(), attempts: Object.fromEntries(statuses) };
}

/**
 * Each watcher got exactly the registrations of its scope posted after it opened (all of them
 * for the all-scope ones, which opened first), ids rising.
 */
export function verify(watchers: readonly LoadWatcher[], poster: LoadPoster, posts: number) {
  const perScope = new Map<string, number>();
  for (let seq = 0; seq < posts; seq++) {
    const scope = poster.scopeNameOf(seq);
    if (scope !== undefined) perScope.set(scope, (perScope.get(scope) ?? 0) + 1);
  }
  const posted = [...perScope.values()].reduce((a, b) => a + b, 0);
  const wrong = watchers.filter((w) => w.outOfOrder > 0 || w.wrongScope > 0 || w.frames !== (w.scope === undefined ? posted : (perScope.get(w.scope) ?? 0)));
  const example = wrong[0];
  return {
    exact: wrong.length === 0,
    wrongWatchers: wrong.length,
    ...(example === undefined ? {} : { example: { scope: example.scope, frames: example.frames, outOfOrder: example.outOfOrder, wrongScope: example.wrongScope } }),
  };
}
