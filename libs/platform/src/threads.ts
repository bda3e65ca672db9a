import { join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module of ours. Built, it is a .js file beside the caller's; under
 * jest (sources, no build) it is a .ts file, which the thread compiles as jest does (swc, the
 * @ifreg/* packages from their sources), so the same code runs in both.
 */
export function startThread(filename: string, options: WorkerOptions = {}): Worker {
  if (!filename.endsWith('.ts')) return new Worker(filename, options);
  const root = join(__dirname, '..', '..', '..');
  return new Worker(`(${fromSources.toString()})(require, ${JSON.stringify(filename)}, ${JSON.stringify(root)})`, { ...options, eval: true });
}

/** The thread's start from sources; it is run from its source text, so it may use nothing but its arguments. */
function fromSources(load: NodeJS.Require, filename: string, root: string): void {
  const { registerHooks } = load('node:module') as typeof import('node:module');
  const { existsSync, readFileSync } = load('node:fs') as typeof import('node:fs');
  const path = load('node:path') as typeof import('node:path');
  const { fileURLToPath, pathToFileURL } = load('node:url') as typeof import('node:url');
  const swc = load('@swc/core') as typeof import('@swc/core');
  const source = (file: string): string | undefined => [file, `${file}.ts`, path.join(file, 'index.ts')].find((p) => p.endsWith('.ts') && existsSync(p));
  registerHooks({
    resolve(specifier, context, next) {
      // jest.config.js's moduleNameMapper, for the thread.
      const pkg = /^@ifreg\/([^/]+)(\/tracing)?$/.exec(specifier);
      if (pkg) return { url: pathToFileURL(path.join(root, 'libs', pkg[1]!, 'src', pkg[2] ? 'start-tracing.ts' : 'index.ts')).href, shortCircuit: true };
      const parent = context.parentURL?.startsWith('file:') ? fileURLToPath(context.parentURL) : undefined;
      if (parent?.endsWith('.ts') && specifier.startsWith('.')) {
        const found = source(path.join(path.dirname(parent), specifier));
        if (found) return { url: pathToFileURL(found).href, shortCircuit: true };
      }
      return next(specifier, context);
    },
    load(url, context, next) {
      if (!url.endsWith('.ts')) return next(url, context);
      const file = fileURLToPath(url);
      const { code } = swc.transformSync(readFileSync(file, 'utf8'), {
        filename: file,
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true },
        module: { type: 'commonjs' },
      });
      return { format: 'commonjs', source: code, shortCircuit: true };
    },
  });
  load(filename);
}
