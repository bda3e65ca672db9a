import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { completeInfo, type RegistryEvent } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { ANY } from '@ifreg/ports';
import { createLogger, createMetricsRegistry } from '@ifreg/platform';
import { ReadModelService } from '@ifreg/query';
import { sseReader, waitFor } from '@ifreg/testing';
import { buildHttpApi, type HttpApp } from '../app';
import { defaultWatchSettings, type WatchSettings } from '../watch/watch-settings';

/*
 * Test support for the watch specs (not exported from index.ts): the HTTP API on a real
 * socket over an in-memory store, and a plain server-sent-events client, one socket each.
 */

const AT = '2026-11-24T12:00:00.000Z';
const log = createLogger({ name: 'watch-spec', level: 'silent' });

/** The query side of one process: a read model and the HTTP API, listening on 127.0.0.1. */
export class WatchServer {
  private constructor(readonly url: string, private readonly app: HttpApp, private readonly readModel: ReadModelService) {}

  static async start(store: SqliteEventStore, watch: Partial<WatchSettings> = {}): Promise<WatchServer> {
    const readModel = new ReadModelService(store, log);
    await readModel.start();
    const app = await buildHttpApi({ readModel, store, metrics: createMetricsRegistry('watch-spec'), log, token: undefined, maxWaitMs: 5000, watch: { ...defaultWatchSettings, ...watch } });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return new WatchServer(url, app, readModel);
  }

  waitFor(position: number): Promise<void> {
    return this.readModel.waitFor(position, 10_000);
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return Number(line?.split(' ').at(-1) ?? Number.NaN);
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.readModel.stop();
  }
}

/** Appends registrations to scopes' streams, as the registrar would; answers their positions. */
export class Recorder {
  private readonly next = new Map<string, number>();
  constructor(readonly store: SqliteEventStore) {}

  async register(scope: string, count = 1): Promise<number[]> {
    const events = Array.from({ length: count }, () => this.registration(scope));
    const last = (await this.store.append(`registry-${scope}`, events.map((e) => ({ id: e.causationId, type: e.type, data: e })), ANY)).position;
    return events.map((_, i) => last - count + 1 + i);
  }

  private registration(scope: string): RegistryEvent & { causationId: string } {
    const ifIndex = (this.next.get(scope) ?? 0) + 1;
    this.next.set(scope, ifIndex);
    const info = completeInfo({ friendlyName: `eth${ifIndex}` });
    if (!info.ok) throw new Error(info.reason);
    const luid = { ifType: 6, netLuidIndex: ifIndex };
    return { type: 'InterfaceRegistered', scope, epoch: 0, ifIndex, luid, providerId: 'agent-a', providerIfContext: '', info: info.value, causationId: `m-${scope}-${ifIndex}`, at: AT };
  }
}

export interface Frame {
  readonly id: number;
  readonly event: string;
  readonly scope: string;
}

/** GET /v1/watch on a socket of its own; keeps every frame and comment it receives. */
export class Watcher {
  readonly frames: Frame[] = [];
  readonly comments: string[] = [];
  ended = false;
  private readonly request: ClientRequest;
  private response: IncomingMessage | undefined;
  private readonly read = sseReader(
    (event) => this.frames.push({ id: Number(event.id), event: event.event ?? 'message', scope: (JSON.parse(event.data) as { scope: string }).scope }),
    (comment) => this.comments.push(comment.trim()),
  );
  /** Status and content type once answered; the JSON body of a refusal. */
  readonly answered: Promise<{ status: number; type: string | undefined; body?: { error: string; reason: string } }>;

  constructor(url: string, lastEventId?: number) {
    let settle!: { resolve: (answer: Awaited<Watcher['answered']>) => void; reject: (error: Error) => void };
    this.answered = new Promise((resolve, reject) => (settle = { resolve, reject }));
    const headers = lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) };
    this.request = get(url, { agent: false, headers }, (response) => {
      this.response = response;
      response.setEncoding('utf8');
      const type = response.headers['content-type'];
      if (response.statusCode !== 200) {
        let text = '';
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => settle.resolve({ status: response.statusCode ?? 0, type, body: JSON.parse(text) as { error: string; reason: string } }));
        return;
      }
      response.on('data', (chunk: string) => this.read(chunk));
      response.on('close', () => (this.ended = true));
      response.on('error', () => undefined);
      settle.resolve({ status: 200, type });
    });
    this.request.on('error', (error) => settle.reject(error));
  }

  get lastId(): number | undefined {
    return this.frames.at(-1)?.id;
  }

  close(): void {
    this.response?.destroy();
    this.request.destroy();
  }

}

/** Polls `probe` until it holds (20 s at most), saying what it waited for. */
export const until = (what: () => string, probe: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> => waitFor(probe, timeoutMs, what, 20);
