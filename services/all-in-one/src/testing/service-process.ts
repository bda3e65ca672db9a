import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(__dirname, '..', '..', '..', '..');

export interface ServiceProcess {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (so that a restarted service can take the same one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A built service (`services/<name>/dist/main.js`, run `node tools/build.mjs` first) in its own
 * process, without the IFREG_* settings of the shell running jest; resolves once it logged
 * `readyMessage` with its url.
 */
export async function startService(name: 'all-in-one' | 'query', env: Record<string, string>, readyMessage: string, timeoutMs = 20_000): Promise<ServiceProcess> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('IFREG_')));
  const child = spawn(process.execPath, [join(root, 'services', name, 'dist', 'main.js')], {
    env: { ...clean, IFREG_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  };
  try {
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not log '${readyMessage}' within ${timeoutMs} ms`)), timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before it was ready`));
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        const entry = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {};
        if (entry['msg'] !== readyMessage) return;
        clearTimeout(timer);
        resolve(entry);
      });
    });
    return { url: new URL(String(ready['url'])).origin, child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
