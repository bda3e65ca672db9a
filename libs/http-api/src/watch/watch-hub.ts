import type { ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import { activeTracer, type Logger } from '@ifreg/platform';
import type { Change } from '@ifreg/query';
import { FrameCache, HEARTBEAT } from './sse-frames';
import type { WatchSettings } from './watch-settings';

/** One open GET /v1/watch stream. */
interface Watcher {
  readonly raw: ServerResponse;
  /** undefined: every scope. */
  readonly scope: string | undefined;
  /** Changes at or below this position were seen by the client already. */
  readonly after: number;
  /** Nothing written to it since the last heartbeat tick. */
  idle: boolean;
}

/**
 * Every open watch stream of a process, indexed by scope: a change is serialised once and
 * the same bytes go to its scope's watchers and to the all-scope ones, nobody else. Writes
 * never wait for a client: one too far behind is cut off and resumes with Last-Event-ID.
 * One timer beats for all streams.
 */
export class WatchHub {
  private readonly byScope = new Map<string, Set<Watcher>>();
  private readonly everyScope = new Set<Watcher>();
  private readonly frames = new FrameCache();
  private readonly timer: NodeJS.Timeout;
  private count = 0;
  /** Frames written since start, and streams cut off for being too slow (read by the metrics). */
  deliveries = 0;
  cutOffs = 0;
  private readonly tracer = activeTracer('ifreg-query');

  constructor(private readonly settings: WatchSettings, private readonly log: Logger) {
    this.timer = setInterval(() => this.beat(), settings.heartbeatMs).unref();
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.settings.maxStreams;
  }

  /** Writes the backlog and starts following, in one synchronous step: no change falls between. */
  open(raw: ServerResponse, scope: string | undefined, after: number, backlog: readonly Change[]): void {
    // Gone already: its 'close' has passed and would never take it out again.
    if (raw.destroyed || raw.socket?.destroyed !== false) return;
    const watcher: Watcher = { raw, scope, after, idle: true };
    const set = scope === undefined ? this.everyScope : this.scopeSet(scope);
    set.add(watcher);
    this.count++;
    raw.once('close', () => this.remove(watcher, set));
    for (const change of backlog) this.deliver(watcher, this.frames.frameOf(change), change.position);
  }

  publish(change: Change): void {
    const scoped = this.byScope.get(change.scope);
    if (scoped === undefined && this.everyScope.size === 0) return;
    // Inside a traced fold: the send to the watchers is a span of the event's trace.
    const span = this.tracer && trace.getActiveSpan() ? this.tracer.startSpan('watch send', { attributes: { 'ifreg.position': change.position, 'ifreg.watchers': (scoped?.size ?? 0) + this.everyScope.size } }) : undefined;
    const frame = this.frames.frameOf(change);
    if (scoped !== undefined) for (const watcher of scoped) this.deliver(watcher, frame, change.position);
    for (const watcher of this.everyScope) this.deliver(watcher, frame, change.position);
    span?.end();
  }

  /** Ends every stream (the server is closing); a stream still holding unsent bytes is dropped. */
  close(): void {
    clearInterval(this.timer);
    for (const watcher of this.all()) {
      if (watcher.raw.writableLength > 0) watcher.raw.destroy();
      else watcher.raw.end();
    }
  }

  private deliver(watcher: Watcher, frame: Buffer, position: number): void {
    // A replica behind `after` (the client came from one further ahead) still applies changes
    // the client has seen: skip them.
    if (position <= watcher.after) return;
    if (this.write(watcher, frame)) this.deliveries++;
  }

  /** Writes unless the stream is gone; cuts it off once too far behind. */
  private write(watcher: Watcher, bytes: Buffer): boolean {
    const { raw } = watcher;
    if (raw.destroyed) return false;
    raw.write(bytes);
    watcher.idle = false;
    if (raw.writableLength > this.settings.maxBufferedBytes) {
      this.cutOffs++;
      this.log.warn({ scope: watcher.scope, buffered: raw.writableLength }, 'watch client too slow, closing its stream');
      // destroy, not end: a client that stopped reading would keep an ended stream's bytes forever.
      raw.destroy();
    }
    return true;
  }

  private beat(): void {
    for (const watcher of this.all()) {
      if (watcher.idle) this.write(watcher, HEARTBEAT);
      watcher.idle = true;
    }
  }

  private *all(): Iterable<Watcher> {
    yield* this.everyScope;
    for (const set of this.byScope.values()) yield* set;
  }

  private scopeSet(scope: string): Set<Watcher> {
    let set = this.byScope.get(scope);
    if (set === undefined) {
      set = new Set();
      this.byScope.set(scope, set);
    }
    return set;
  }

  private remove(watcher: Watcher, set: Set<Watcher>): void {
    if (!set.delete(watcher)) return;
    this.count--;
    if (set.size === 0 && watcher.scope !== undefined && this.byScope.get(watcher.scope) === set) this.byScope.delete(watcher.scope);
  }
}
