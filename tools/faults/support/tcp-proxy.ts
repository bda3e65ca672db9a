import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** What the proxy does to the server's replies on one connection. */
type ReplyMode = 'pass' | 'black-hole';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  replies: ReplyMode;
  /** What the client sent from the armed chunk on, once its replies are black-holed (bounded). */
  sentAfterHit?: Buffer[];
}

/** The connection whose replies were black-holed: what its client sent from the marker on. */
export interface BlackHoled {
  /** The client→server bytes from the chunk with the marker on (up to 16 MiB), growing while the client sends. */
  sent(): Buffer;
}

/**
 * A TCP proxy on 127.0.0.1 between a client (the registrar) and a server (PostgreSQL), with
 * faults on demand:
 * - blackHoleRepliesAfter(marker): the next client→server chunk that contains `marker` (e.g.
 *   the name of the append's prepared statement) is forwarded, and from then on everything
 *   the server answers on that connection is dropped while the connection stays open: the
 *   server did the work and committed, the client never hears it (a lost reply);
 * - blackHoleAll(): every server reply on every connection is dropped (a network partition
 *   in one direction);
 * - reset(): every connection is closed at once (a cut cable, a NAT table flush).
 */
export class FaultProxy {
  private readonly pairs = new Set<Pair>();
  private armed: { marker: Buffer; hit: (blackHoled: BlackHoled) => void } | undefined;
  private allBlackHoled = false;
  /** Bytes dropped so far, and on how many connections. */
  droppedBytes = 0;
  blackHoledConnections = 0;
  connections = 0;

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(targetHost: string, targetPort: number): Promise<FaultProxy> {
    const holder: { proxy?: FaultProxy } = {};
    const server = createServer((client) => holder.proxy?.accept(client, targetHost, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('the proxy has no port');
    holder.proxy = new FaultProxy(server, address.port);
    return holder.proxy;
  }

  /** Resolves when a client chunk containing `marker` was forwarded and its connection's replies are black-holed from then on. */
  blackHoleRepliesAfter(marker: string): Promise<BlackHoled> {
    return new Promise((resolve) => (this.armed = { marker: Buffer.from(marker), hit: resolve }));
  }

  blackHoleAll(): void {
    this.allBlackHoled = true;
    for (const pair of this.pairs) pair.replies = 'black-hole';
  }

  /** Replies flow again on new connections (black-holed ones stay black-holed until closed). */
  heal(): void {
    this.allBlackHoled = false;
    this.armed = undefined;
  }

  reset(): void {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
  }

  async close(): Promise<void> {
    this.reset();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    this.connections++;
    const upstream = createConnection({ host, port });
    const pair: Pair = { client, upstream, replies: this.allBlackHoled ? 'black-hole' : 'pass' };
    this.pairs.add(pair);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
    client.on('data', (chunk: Buffer) => {
      const armed = this.armed;
      upstream.write(chunk);
      if (pair.sentAfterHit && pair.sentAfterHit.reduce((n, b) => n + b.length, 0) < 16 * 1024 * 1024) pair.sentAfterHit.push(chunk);
      if (armed && pair.replies === 'pass' && chunk.includes(armed.marker)) {
        this.armed = undefined;
        pair.replies = 'black-hole';
        pair.sentAfterHit = [chunk];
        this.blackHoledConnections++;
        armed.hit({ sent: () => Buffer.concat(pair.sentAfterHit ?? []) });
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (pair.replies === 'black-hole') this.droppedBytes += chunk.length;
      else client.write(chunk);
    });
  }
}
