/**
 * Large snapshots are written in parts, each in a transaction of its own with a turn of the
 * event loop between them: one write of tens of MiB held up every request of the process
 * for a second or more. The header row, written last with the last part, makes a snapshot
 * visible whole or not at all.
 */
const SNAPSHOT_PART_BYTES = 256 * 1024;

/** The parts of `data`, as views (no copies). */
export function partsOf(data: Uint8Array): Buffer[] {
  const whole = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const parts: Buffer[] = [];
  for (let at = 0; at < whole.length; at += SNAPSHOT_PART_BYTES) parts.push(whole.subarray(at, at + SNAPSHOT_PART_BYTES));
  if (parts.length === 0) parts.push(Buffer.alloc(0));
  return parts;
}

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
