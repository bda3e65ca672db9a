// Transpiles every workspace package's src/ to dist/ with swc (type checking is `npm run typecheck`).
// One process for the whole workspace keeps `npm start` quick.
import { transformFile } from '@swc/core';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const swcrc = JSON.parse(await readFile(join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;

async function* sources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

const started = Date.now();
let count = 0;
for (const group of ['libs', 'services']) {
  for (const pkg of await readdir(join(root, group))) {
    const src = join(root, group, pkg, 'src');
    const dist = join(root, group, pkg, 'dist');
    await rm(dist, { recursive: true, force: true });
    const jobs = [];
    for await (const file of sources(src)) {
      const out = join(dist, relative(src, file)).replace(/\.ts$/, '.js');
      jobs.push(
        transformFile(file, { ...swcrc, swcrc: false, sourceFileName: relative(dirname(out), file) }).then(async ({ code, map }) => {
          await mkdir(dirname(out), { recursive: true });
          await writeFile(out, `${code}\n//# sourceMappingURL=${out.split('/').pop()}.map\n`);
          if (map) await writeFile(`${out}.map`, map);
        }),
      );
      count++;
    }
    await Promise.all(jobs);
  }
}
console.log(`built ${count} files in ${Date.now() - started} ms`);
