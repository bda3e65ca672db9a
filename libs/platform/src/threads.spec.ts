import { once } from 'node:events';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startThread } from './threads';

describe('startThread', () => {
  it('runs a TypeScript module of ours, with the @ifreg packages from their sources', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ifreg-thread-'));
    try {
      const file = join(dir, 'thread.ts');
      writeFileSync(file, `import { parentPort } from 'node:worker_threads';\nimport { nameBasedUuid } from '@ifreg/platform';\nclass A { constructor(private readonly x: number) {} get y(): number { return this.x; } }\nparentPort!.postMessage(new A(42).y + (typeof nameBasedUuid));\n`);
      const worker = startThread(file);
      const [message] = await once(worker, 'message');
      expect(message).toBe('42function');
      await worker.terminate();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
