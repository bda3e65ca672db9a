import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';

/** Called for every change frame: the `w<seq>` friendly name it carries (-1 if none), and when its chunk came. */
export type FrameListener = (seq: number, at: number) => void;

const NAME = '"friendlyName":"w';

/**
 * One watch stream of the load client. It checks what it gets as it goes (ids rising, the
 * scope asked for) and resumes with Last-Event-ID when asked to reconnect. Parsing is the
 * least that finds those fields: ten thousand of these share a core with the server.
 */
export class LoadWatcher {
  lastId = 0;
  frames = 0;
  outOfOrder = 0;
  wrongScope = 0;
  connected = false;
  private buffer = '';
  private request: ClientRequest | undefined;
  private response: IncomingMessage | undefined;
  private readonly scopeField: string | undefined;

  constructor(
    private readonly base: string,
    readonly scope: string | undefined,
    private readonly onFrame: FrameListener,
    private readonly onEnd: (watcher: LoadWatcher) => void,
  ) {
    this.scopeField = scope === undefined ? undefined : `"scope":"${scope}"`;
  }

  /** Opens the stream (after `from`, or Last-Event-ID once something was seen); answers the status. */
  connect(from: number): Promise<number> {
    const query = [this.scope === undefined ? '' : `scope=${this.scope}`, this.lastId > 0 ? '' : `from=${from}`].filter(Boolean).join('&');
    const headers = this.lastId > 0 ? { 'last-event-id': String(this.lastId) } : {};
    return new Promise((resolve, reject) => {
      this.buffer = '';
      this.request = get(`${this.base}/v1/watch?${query}`, { agent: false, headers }, (response) => {
        this.response = response;
        if (response.statusCode !== 200) {
          response.resume();
          resolve(response.statusCode ?? 0);
          return;
        }
        this.connected = true;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => this.read(chunk));
        response.on('error', () => undefined);
        response.once('close', () => {
          this.connected = false;
          this.onEnd(this);
        });
        resolve(200);
      });
      this.request.on('error', reject);
    });
  }

  close(): void {
    this.response?.destroy();
    this.request?.destroy();
  }

  private read(chunk: string): void {
    const at = performance.now();
    this.buffer += chunk;
    let start = 0;
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n', start)) {
      this.frame(this.buffer.slice(start, end), at);
      start = end + 2;
    }
    this.buffer = this.buffer.slice(start);
  }

  private frame(block: string, at: number): void {
    if (!block.startsWith('id: ')) return; // a comment: the greeting or a keep-alive
    const id = Number.parseInt(block.slice(4), 10);
    if (id <= this.lastId) this.outOfOrder++;
    this.lastId = id;
    this.frames++;
    if (this.scopeField !== undefined && !block.includes(this.scopeField)) this.wrongScope++;
    const name = block.indexOf(NAME);
    this.onFrame(name < 0 ? -1 : Number.parseInt(block.slice(name + NAME.length), 10), at);
  }
}
