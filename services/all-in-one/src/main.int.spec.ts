import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(__dirname, '..', '..', '..');

/** Waits for a JSON log line with the given msg, or fails after timeoutMs. */
function waitForLog(child: ChildProcess, msg: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${msg}' log line within ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {};
      if (entry['msg'] !== msg) return;
      clearTimeout(timer);
      resolve(entry);
    });
  });
}

describe('the built service started as `npm start` does', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root });
    dir = mkdtempSync(join(tmpdir(), 'ifreg-main-'));
  });
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves this host’s interfaces within seconds and stops cleanly on SIGTERM', async () => {
    child = spawn(process.execPath, [join(root, 'services/all-in-one/dist/main.js')], {
      env: { ...process.env, IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: join(dir, 'ifreg.db') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ready = await waitForLog(child, 'ifreg is ready', 15_000);
    const list = await fetch(String(ready['url']));
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await expect(exited).resolves.toBe(0);
  });
});
