import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DEFAULT_SNAPSHOTS_KEPT, type Snapshot, type SnapshotStore, type SnapshotToSave } from '@ifreg/ports';

/** `<position, 16 digits>.v<version>.snap`: sorting the names sorts the positions. */
const NAME = /^(\d{16})\.v(\d+)\.snap$/;

/**
 * Snapshots as files, one directory per key (its name hex-encoded) under `dir`: the
 * EventStoreDB deployment's choice, and any store's with IFREG_SNAPSHOTS=files. Written to a
 * temporary name and renamed, so a reader sees a whole file or none; then the key's files
 * beyond the newest `keep` are deleted. Replicas may share `dir`: any snapshot of a key is a
 * fold of the same history, whoever wrote it.
 */
export class FileSnapshotStore implements SnapshotStore {
  constructor(private readonly dir: string, private readonly keep = DEFAULT_SNAPSHOTS_KEPT) {}

  async save(s: SnapshotToSave): Promise<void> {
    const folder = this.folderOf(s.key);
    await mkdir(folder, { recursive: true });
    const name = `${String(s.position).padStart(16, '0')}.v${s.version}.snap`;
    const temporary = join(folder, `.${name}.${randomUUID()}.tmp`);
    await writeFile(temporary, s.data, { flush: true });
    await rename(temporary, join(folder, name));
    // One file per position: a save of the same position in another version replaces it.
    const files = (await this.filesOf(folder)).filter((f) => f === name || !f.startsWith(name.slice(0, 16)));
    const doomed = [...(await this.filesOf(folder)).filter((f) => !files.includes(f)), ...files.slice(0, -this.keep)];
    await Promise.all(doomed.map((f) => rm(join(folder, f), { force: true })));
  }

  async newest(key: string): Promise<Snapshot | undefined> {
    const folder = this.folderOf(key);
    const name = (await this.filesOf(folder)).at(-1);
    const parts = name === undefined ? null : NAME.exec(name);
    if (name === undefined || parts === null) return undefined;
    const file = join(folder, name);
    const [data, info] = await Promise.all([readFile(file), stat(file)]);
    return { key, position: Number(parts[1]), version: Number(parts[2]), data, savedAt: info.mtime.toISOString() };
  }

  async close(): Promise<void> {
    return undefined;
  }

  private folderOf(key: string): string {
    return join(this.dir, Buffer.from(key).toString('hex'));
  }

  /** The snapshots in a key's folder, oldest first. */
  private async filesOf(folder: string): Promise<string[]> {
    try {
      return (await readdir(folder)).filter((n) => NAME.test(n)).sort();
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return [];
      throw error;
    }
  }
}
