import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The repository root (this file is libs/testing/src/workspace.ts, or its dist/ twin). */
export const ROOT = join(__dirname, '..', '..', '..');

let built = false;
/** `node tools/build.mjs` once per test file: the specs that spawn services run their build, as `npm start` does. */
export function buildWorkspace(): void {
  if (built) return;
  execFileSync(process.execPath, [join(ROOT, 'tools', 'build.mjs')], { cwd: ROOT, stdio: 'ignore', timeout: 120_000 });
  built = true;
}

/** `services/<name>/dist/main.js`. */
export const serviceMain = (name: string): string => join(ROOT, 'services', name, 'dist', 'main.js');

/** A TCP port on 127.0.0.1 that nothing listens on right now (so that a restarted service can take the same one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
