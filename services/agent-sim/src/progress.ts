import { Presets, SingleBar } from 'cli-progress';
import type { SimProgress } from './runner';

export interface ProgressView {
  update(progress: SimProgress): void;
  stop(): void;
}

/**
 * Progress on stderr (stdout carries only the summary line): a bar on a terminal when the
 * number of steps is known, else one line per update.
 */
export function progressView(stream: NodeJS.WriteStream): ProgressView {
  let bar: SingleBar | undefined;
  return {
    update(p) {
      if (stream.isTTY && p.steps !== undefined) {
        const payload = { outcomes: p.outcomes, pending: p.pending, rate: p.rate, phase: p.phase };
        if (!bar) {
          bar = new SingleBar(
            { stream, format: 'sim [{bar}] {value}/{total} sent | {outcomes} outcomes, {pending} pending | {rate} msg/s | {phase}', hideCursor: true },
            Presets.shades_classic,
          );
          bar.start(p.steps, 0, payload);
        }
        bar.update(Math.min(p.sent, p.steps), payload);
        return;
      }
      stream.write(`${progressLine(p)}\n`);
    },
    stop() {
      bar?.stop();
    },
  };
}

export function progressLine(p: SimProgress): string {
  const seconds = (p.elapsedMs / 1000).toFixed(1);
  const outcomes = p.outcomes > 0 || p.pending > 0 ? `, outcomes ${p.outcomes}, pending ${p.pending}` : '';
  return `sim ${seconds} s ${p.phase}: sent ${p.sent}${p.steps === undefined ? '' : ` (steps ${p.steps})`}, ${p.rate} msg/s${outcomes}`;
}
