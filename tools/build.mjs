// Transpiles every workspace package's src/ to dist/ with swc (type checking is `npm run typecheck`).
// One process for the whole workspace keeps `npm start` quick. Safe to run while built
// services run or other builds run (tests spawn built processes in parallel): each file is
// written to a temporary name and renamed over the old one, nothing is deleted first; files
// whose source is gone are removed at the end. Test support (src/testing/ folders) is never
// built; with --production neither are the testing library and the bench (deploy/Dockerfile).
import { transformFile } from '@swc/core';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const swcrc = JSON.parse(await readFile(join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;

async function* files(dir, keep, skipTesting = true) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && skipTesting && entry.name === 'testing') continue;
    if (entry.isDirectory()) yield* files(path, keep, skipTesting);
    else if (keep(entry.name)) yield path;
  }
}

const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts');
const production = process.argv.includes('--production');
const testOnly = new Set(['libs/testing', 'services/bench']);

async function writeAtomically(path, content) {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, content);
  await rename(temp, path);
}

const started = Date.now();
let count = 0;
for (const group of ['libs', 'services']) {
  for (const pkg of await readdir(join(root, group))) {
    if (production && testOnly.has(`${group}/${pkg}`)) continue;
    const src = join(root, group, pkg, 'src');
    const dist = join(root, group, pkg, 'dist');
    const written = new Set();
    const jobs = [];
    for await (const file of files(src, isSource)) {
      const out = join(dist, relative(src, file)).replace(/\.ts$/, '.js');
      written.add(out).add(`${out}.map`);
      jobs.push(
        transformFile(file, { ...swcrc, swcrc: false, sourceFileName: relative(dirname(out), file) }).then(async ({ code, map }) => {
          await mkdir(dirname(out), { recursive: true });
          await writeAtomically(out, `${code}\n//# sourceMappingURL=${out.split('/').pop()}.map\n`);
          if (map) await writeAtomically(`${out}.map`, map);
        }),
      );
      count++;
    }
    await Promise.all(jobs);
    for await (const stale of files(dist, (name) => !name.endsWith('.tmp'), false)) {
      if (!written.has(stale)) await rm(stale, { force: true });
    }
  }
}
console.error(`built ${count} files in ${Date.now() - started} ms`);
