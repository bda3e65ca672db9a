import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AT, interfaceInfo } from './registry-events';
import { sleep } from '@ifreg/testing';

/** What one POST /v1/messages answered. */
export interface Posted {
  readonly status: number;
  readonly body: string;
}

/**
 * Posts registrations (InterfaceDetected, friendly name `w<seq>` so a watcher can tell which
 * one a frame is) and records, per seq, when each was sent and when its answer had arrived.
 */
export class LoadPoster {
  readonly sentAt: Float64Array;
  readonly answeredAt: Float64Array;
  readonly scopeOf: Int32Array;
  failures = 0;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly nextLuid = new Map<number, number>();

  constructor(private readonly url: string, capacity: number, private readonly scopeName: (index: number) => string) {
    this.sentAt = new Float64Array(capacity);
    this.answeredAt = new Float64Array(capacity);
    this.scopeOf = new Int32Array(capacity).fill(-1);
  }

  /** The scope registration `seq` was posted to, if it was. */
  scopeNameOf(seq: number): string | undefined {
    const index = this.scopeOf[seq] ?? -1;
    return index < 0 ? undefined : this.scopeName(index);
  }

  /** Registers `name` in scope `index`; `wait` answers after it was recorded. */
  async register(index: number, name: string, wait = false): Promise<Posted> {
    const netLuidIndex = (this.nextLuid.get(index) ?? 0) + 1;
    this.nextLuid.set(index, netLuidIndex);
    const scope = this.scopeName(index);
    const body = JSON.stringify({
      type: 'InterfaceDetected', schemaVersion: 1, messageId: randomUUID(), scope, providerId: 'bench-agent',
      luid: { ifType: 6, netLuidIndex }, providerIfContext: `ctx-${netLuidIndex}`, info: { ...interfaceInfo(netLuidIndex), friendlyName: name }, detectedAt: AT,
    });
    return this.send(body, wait);
  }

  /** Registration `seq` in scope `index`, timed. */
  async post(seq: number, index: number): Promise<void> {
    this.scopeOf[seq] = index;
    this.sentAt[seq] = performance.now();
    const answer = await this.register(index, `w${seq}`).catch(() => ({ status: 0, body: '' }));
    this.answeredAt[seq] = performance.now();
    if (answer.status !== 202) this.failures++;
  }

  /** Posts seqs [first, first + count) at `rate` per second to the scopes `scopeOf` picks; resolves when all are answered. */
  async atRate(first: number, count: number, rate: number, scopeOf: (seq: number) => number): Promise<void> {
    const started = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      pending.push(this.post(first + i, scopeOf(first + i)));
    }
    await Promise.all(pending);
  }

  /** Posts seqs [first, first + count) as fast as `concurrency` requests in flight allow. */
  async asFastAs(first: number, count: number, concurrency: number, scopeOf: (seq: number) => number): Promise<void> {
    let next = first;
    const worker = async (): Promise<void> => {
      while (next < first + count) {
        const seq = next++;
        await this.post(seq, scopeOf(seq));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  close(): void {
    this.agent.destroy();
  }

  private send(body: string, wait: boolean): Promise<Posted> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}/v1/messages${wait ? '?wait=true' : ''}`, { method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
