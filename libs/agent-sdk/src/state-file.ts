import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { MAX_IF_TYPE, MAX_NET_LUID_INDEX } from '@ifreg/domain';

const luid = { ifType: z.number().int().min(0).max(MAX_IF_TYPE), netLuidIndex: z.number().int().min(0).max(MAX_NET_LUID_INDEX) };

const stateSchema = z.object({
  version: z.literal(1),
  scope: z.string(),
  providerId: z.string(),
  /** The boot id of the last BootEpoch this provider announced. */
  bootId: z.string().optional(),
  /** key (e.g. an interface name) → the NET_LUID the registry allocated for it. */
  luids: z.record(z.string(), z.object({ ...luid, registered: z.boolean().optional() })),
  /**
   * Requests sent but not yet answered, written before sending: after a crash the same
   * message id is sent again and the registry answers with what it recorded, so no
   * allocation is lost or made twice.
   */
  pending: z.record(
    z.string(),
    z.discriminatedUnion('type', [
      z.object({ type: z.literal('NetLuidIndexRequested'), messageId: z.string(), ifType: luid.ifType }),
      z.object({ type: z.literal('NetLuidIndexFreeRequested'), messageId: z.string() }),
    ]),
  ),
});

export type ProviderState = z.infer<typeof stateSchema>;
export type LuidEntry = ProviderState['luids'][string];
export type PendingRequest = ProviderState['pending'][string];

export class StateFileError extends Error {
  constructor(readonly path: string, problem: string) {
    super(`provider state file ${path}: ${problem}`);
    this.name = 'StateFileError';
  }
}

export const emptyState = (scope: string, providerId: string): ProviderState => ({ version: 1, scope, providerId, luids: {}, pending: {} });

/** The state in `path`, or undefined when there is no file yet. A damaged file is an error, never silently reset. */
export async function readStateFile(path: string): Promise<ProviderState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(path, (error as Error).message);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(path, `not JSON (${(error as Error).message})`);
  }
  const parsed = stateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StateFileError(path, `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/**
 * Replaces the file atomically: a reader (or a crash) sees the old content or the new,
 * never a mix. The temporary file is flushed before the rename and the directory after it,
 * so an allocation acknowledged to the caller survives a power cut.
 */
export async function writeStateFile(path: string, state: ProviderState): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    const file = await open(temp, 'w', 0o644);
    try {
      await file.writeFile(`${JSON.stringify(state, null, 2)}\n`, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new StateFileError(path, `cannot write: ${(error as Error).message}`);
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
  }
}
