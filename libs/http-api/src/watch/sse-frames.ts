import type { Change } from '@ifreg/query';

/** Written to a stream that had nothing else for a heartbeat period. */
export const HEARTBEAT = Buffer.from(': keep-alive\n\n');

/**
 * The server-sent event of a change, serialised once: live watchers and every later resume
 * from the change log share these bytes. Keyed by the change object the log keeps, so a
 * frame is dropped with its change.
 */
export class FrameCache {
  private readonly frames = new WeakMap<Change, Buffer>();

  frameOf(change: Change): Buffer {
    let frame = this.frames.get(change);
    if (frame === undefined) {
      frame = Buffer.from(`id: ${change.position}\nevent: ${change.kind}\ndata: ${JSON.stringify(change)}\n\n`);
      this.frames.set(change, frame);
    }
    return frame;
  }
}
