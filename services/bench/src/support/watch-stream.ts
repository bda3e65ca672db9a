import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';

/** One server-sent event as the query service's GET /v1/watch writes it. */
export type WatchListener = (kind: string, data: string, receivedAt: number) => void;

/**
 * A client of the query service's watch stream (GET /v1/watch?from=P): calls `listener` for
 * every event with the time its chunk arrived (performance.now()). Parsing is minimal: the
 * bench reads tens of thousands of events per second and must not be the slow client the
 * service cuts off.
 */
export class WatchStream {
  private readonly request: ClientRequest;
  private response: IncomingMessage | undefined;
  private buffer = '';
  readonly opened: Promise<void>;

  constructor(url: string, private readonly listener: WatchListener) {
    let settle!: { resolve: () => void; reject: (error: Error) => void };
    this.opened = new Promise((resolve, reject) => (settle = { resolve, reject }));
    this.request = get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (response) => {
      this.response = response;
      if (response.statusCode !== 200) {
        settle.reject(new Error(`GET ${url}: ${response.statusCode}`));
        response.resume();
        return;
      }
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => this.onChunk(chunk));
      // The service going away ends the stream; the bench notices missing events by itself.
      response.on('error', () => undefined);
      settle.resolve();
    });
    this.request.on('error', (error) => settle.reject(error));
  }

  close(): void {
    this.response?.destroy();
    this.request.destroy();
  }

  private onChunk(chunk: string): void {
    const at = performance.now();
    this.buffer += chunk;
    let end = this.buffer.indexOf('\n\n');
    let start = 0;
    while (end >= 0) {
      this.onEvent(this.buffer.slice(start, end), at);
      start = end + 2;
      end = this.buffer.indexOf('\n\n', start);
    }
    this.buffer = this.buffer.slice(start);
  }

  private onEvent(block: string, at: number): void {
    if (block.startsWith(':')) return; // a comment: the greeting or a keep-alive
    let kind = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) kind = line.slice(7);
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    this.listener(kind, data, at);
  }
}
