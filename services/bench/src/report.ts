import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ratio, summarize, type Figure } from './measure';

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));

export function line(bench: string, f: Figure): string {
  const ours = summarize(f.samples);
  const base = summarize(f.baseline.samples);
  const r = ratio(f);
  const verdict = [
    f.target === undefined ? '' : `  target ratio ≥ ${+f.target.toFixed(2)}: ${r >= f.target ? 'met' : 'MISSED'}`,
    f.limit === undefined ? '' : `  limit ≤ ${f.limit} ${f.unit}: ${ours.median <= f.limit ? 'met' : 'MISSED'}`,
  ].join('');
  const note = f.note === undefined ? '' : `\n    (${f.note})`;
  return `${bench} / ${f.name}: ${fmt(ours.median)} ${f.unit} (min ${fmt(ours.min)}, max ${fmt(ours.max)}, n=${f.samples.length}) vs ${f.baseline.label} ${fmt(base.median)} → ratio ${r.toFixed(2)}${verdict}${note}`;
}

export function markdown(results: ReadonlyMap<string, readonly Figure[]>, meta: Record<string, string>): string {
  const rows = [...results].flatMap(([bench, figures]) =>
    figures.map((f) => {
      const ours = summarize(f.samples);
      const base = summarize(f.baseline.samples);
      const r = ratio(f);
      const target = [
        f.target === undefined ? '' : `ratio ≥ ${+f.target.toFixed(2)}: ${r >= f.target ? 'met' : 'missed'}`,
        f.limit === undefined ? '' : `≤ ${f.limit} ${f.unit}: ${ours.median <= f.limit ? 'met' : 'missed'}`,
      ].filter(Boolean).join('; ');
      return `| ${bench} | ${f.name} | ${fmt(ours.median)} ${f.unit} | ${fmt(ours.min)}–${fmt(ours.max)} | ${f.baseline.label}: ${fmt(base.median)} | ${r.toFixed(2)} | ${target} |`;
    }),
  );
  return [
    `# ifreg benchmarks`,
    '',
    ...Object.entries(meta).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '| benchmark | figure | median | spread | baseline (same run) | ratio | target |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...notes(results),
  ].join('\n');
}

function notes(results: ReadonlyMap<string, readonly Figure[]>): string[] {
  const lines = [...results].flatMap(([bench, figures]) => figures.filter((f) => f.note !== undefined).map((f) => `- ${bench} / ${f.name}: ${f.note}`));
  return lines.length === 0 ? [] : ['Notes:', '', ...lines, ''];
}

export async function writeResults(dir: string, results: ReadonlyMap<string, readonly Figure[]>, meta: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = meta['started']?.replace(/[:.]/g, '-') ?? 'run';
  const json = join(dir, `bench-${stamp}.json`);
  await writeFile(json, JSON.stringify({ meta, results: Object.fromEntries(results) }, null, 2));
  await writeFile(join(dir, `bench-${stamp}.md`), markdown(results, meta));
  await writeFile(join(dir, 'latest.md'), markdown(results, meta));
  return json;
}
