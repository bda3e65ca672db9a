import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Everything a fault scenario opened (processes, brokers, servers, clients, temp dirs),
 * closed in reverse order after it, even when it failed. A step that fails does not stop
 * the others; the first failure is rethrown at the end.
 */
export class Cleanup {
  private readonly steps: { what: string; close: () => Promise<void> | void }[] = [];

  add<T>(thing: T, close: (thing: T) => Promise<void> | void, what = 'resource'): T {
    this.steps.push({ what, close: () => close(thing) });
    return thing;
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
export function tempDir(cleanup: Cleanup, prefix = 'ifreg-faults-'): string {
  return cleanup.add(mkdtempSync(join(tmpdir(), prefix)), (dir) => rmSync(dir, { recursive: true, force: true }), 'temp dir');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `predicate` holds; fails after `timeoutMs`, saying what it waited for and how far it got. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(everyMs);
  }
}
