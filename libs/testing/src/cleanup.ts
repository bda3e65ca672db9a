import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Everything a test opened (processes, brokers, servers, clients, temp dirs), closed in
 * reverse order after it, even when it failed. A step that fails does not stop the others;
 * the first failure is rethrown at the end.
 */
export class Cleanup {
  private readonly steps: { what: string; close: () => unknown }[] = [];

  add<T>(thing: T, close: (thing: T) => unknown, what = 'resource'): T {
    this.steps.push({ what, close: () => close(thing) });
    return thing;
  }

  /** A step with nothing to hand back: `cleanup.defer(() => server.close())`. */
  defer(close: () => unknown, what = 'step'): void {
    this.steps.push({ what, close });
  }

  async run(): Promise<void> {
    let first: Error | undefined;
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.close();
      } catch (error) {
        first ??= new Error(`cleanup of ${step.what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
    if (first !== undefined) throw first;
  }
}

/** A temporary directory, removed by `cleanup`. */
export function tempDir(cleanup: Cleanup, prefix = 'ifreg-test-'): string {
  return cleanup.add(mkdtempSync(join(tmpdir(), prefix)), (dir) => rmSync(dir, { recursive: true, force: true }), 'temp dir');
}
