import { Worker } from 'node:worker_threads';
import type { ICustomPartitioner, LogEntry, Message } from 'kafkajs';
import type { Logger } from '@ifreg/platform';
import { kafkaClientOptions, writeKafkaLogEntry, type KafkaSettings } from './kafka-config';
import { MAX_MESSAGES_PER_SEND, sendChunks, type Sender } from './kafka-sender';
import { murmur2 } from './murmur2';
import { packMessages, unpackMessages, type PackedChunk } from './packed-messages';
import { recordEncoding, type KafkajsEncoders } from './record-encoding';

type Request =
  | { readonly id: number; readonly kind: 'connect' | 'disconnect' }
  | { readonly id: number; readonly kind: 'send'; readonly topic: string; readonly chunks: readonly (readonly Message[])[] }
  | { readonly id: number; readonly kind: 'packed'; readonly topic: string; readonly chunks: readonly PackedChunk[] };
type Reply =
  | { readonly kind: 'done'; readonly id: number }
  | { readonly kind: 'failed'; readonly id: number; readonly error: { readonly name: string; readonly message: string } }
  | { readonly kind: 'log'; readonly entry: LogEntry };

interface ThreadData {
  readonly kafkajs: string;
  readonly options: ReturnType<typeof kafkaClientOptions>;
}

/** kafkajs's modules whose encoders the thread replaces with `recordEncoding`'s (same bytes, less CPU). */
const REPLACED = {
  record: 'src/protocol/recordBatch/record/v0/index.js',
  recordBatch: 'src/protocol/recordBatch/v0/index.js',
  crc32c: 'src/protocol/recordBatch/crc32C/index.js',
  /** Not replaced: the DefaultPartitioner's maker, given our murmur2 (murmur2.ts) instead of kafkajs's. */
  partitioner: 'src/producer/partitioners/legacy/partitioner.js',
} as const;

/**
 * The worker's code. It is started from this function's source (`eval`), so it runs the
 * same from dist and from TypeScript under jest; it may use nothing but its arguments.
 */
function threadMain(load: NodeJS.Require, encoding: typeof recordEncoding, replaced: typeof REPLACED, unpack: typeof unpackMessages, hash: typeof murmur2): void {
  const threads = load('node:worker_threads') as typeof import('node:worker_threads');
  const paths = load('node:path') as typeof import('node:path');
  const { parentPort } = threads;
  const { kafkajs, options } = threads.workerData as ThreadData;
  // Before kafkajs's produce request loads them: its record, batch and CRC-32C encoders become ours.
  const cached = (file: string): { exports: unknown } => {
    const resolved = load.resolve(paths.join(paths.dirname(kafkajs), file));
    load(resolved);
    return load.cache[resolved] as { exports: unknown };
  };
  const [record, batch, crc32c] = [cached(replaced.record), cached(replaced.recordBatch), cached(replaced.crc32c)];
  const batchExports = batch.exports as { RecordBatch: KafkajsEncoders['recordBatch'] };
  const ours = encoding({ record: record.exports as KafkajsEncoders['record'], recordBatch: batchExports.RecordBatch });
  record.exports = ours.record;
  batchExports.RecordBatch = ours.recordBatch; // the module's other export (MAGIC_BYTE) stays
  crc32c.exports = ours.crc32c;
  const { Kafka } = load(kafkajs) as typeof import('kafkajs');
  // kafkajs's DefaultPartitioner, made with the same murmur2 in 32-bit steps: every key goes to the same partition.
  const partitionerOf = load(load.resolve(paths.join(paths.dirname(kafkajs), replaced.partitioner))) as (hash: typeof murmur2) => ICustomPartitioner;
  const port = parentPort!;
  const post = (reply: Reply): void => port.postMessage(reply);
  const kafka = new Kafka({
    ...options,
    // Entries go to the parent's logger; JSON keeps them cloneable (errors become plain objects).
    logCreator: () => (entry) => post({ kind: 'log', entry: JSON.parse(JSON.stringify(entry)) as LogEntry }),
  });
  // The same settings as KafkaSender's (see there why).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: partitionerOf(hash) });
  const handle = async (request: Request): Promise<void> => {
    if (request.kind !== 'send' && request.kind !== 'packed') return request.kind === 'connect' ? producer.connect() : producer.disconnect();
    if (request.kind === 'packed') {
      for (const chunk of request.chunks) await producer.send({ topic: request.topic, acks: -1, messages: unpack(chunk) });
      return;
    }
    // Buffers arrive as plain Uint8Arrays, which kafkajs would write as text: make them Buffers again.
    const bytes = <T>(data: T): T | Buffer => (data instanceof Uint8Array && !Buffer.isBuffer(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : data);
    const headerBytes = (headers: Message['headers']): Message['headers'] => {
      for (const name in headers) if (typeof headers[name] === 'object') return Object.fromEntries(Object.entries(headers).map(([n, v]) => [n, Array.isArray(v) ? v.map(bytes) : bytes(v)]));
      return headers;
    };
    for (const messages of request.chunks) {
      await producer.send({ topic: request.topic, acks: -1, messages: messages.map((m) => ({ ...m, key: bytes(m.key), value: bytes(m.value), headers: headerBytes(m.headers) })) });
    }
  };
  port.on('message', (request: Request) => {
    handle(request).then(
      () => post({ kind: 'done', id: request.id }),
      (error: unknown) => {
        const { name, message } = error instanceof Error ? error : new Error(String(error));
        post({ kind: 'failed', id: request.id, error: { name, message } });
      },
    );
  });
}

/** A send that failed in the sender thread, with the kafkajs error's name and message. */
export class ThreadSendError extends Error {
  constructor(readonly kafkaError: string, message: string) {
    super(message);
    this.name = 'ThreadSendError';
  }
}

/**
 * A KafkaSender in a worker thread. kafkajs encodes records in JavaScript, as much CPU per
 * record as the store append of the event itself (services/bench/README.md). Here it runs beside the registrar's decisions
 * instead of between them, with its record encoder replaced by ours (record-encoding.ts);
 * the registrar only clones the records' strings across.
 * Same contract as KafkaSender: send resolves once every record is acknowledged.
 */
export class ThreadSender implements Sender {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private stopped: Error | undefined;

  constructor(settings: KafkaSettings, private readonly log: Logger, private readonly chunkSize = MAX_MESSAGES_PER_SEND) {
    const workerData: ThreadData = { kafkajs: require.resolve('kafkajs'), options: kafkaClientOptions(settings, log) };
    this.worker = new Worker(`(${threadMain.toString()})(require, ${recordEncoding.toString()}, ${JSON.stringify(REPLACED)}, ${unpackMessages.toString()}, ${murmur2.toString()})`, { eval: true, workerData, name: 'ifreg-kafka-sender' });
    this.worker.on('message', (reply: Reply) => this.onReply(reply));
    this.worker.on('error', (error: Error) => this.stop(error));
    this.worker.on('exit', (code) => this.stop(new Error(`the Kafka sender thread exited (code ${code})`)));
  }

  connect(): Promise<void> {
    return this.request({ id: this.nextId++, kind: 'connect' });
  }

  /** Disconnects the producer, then ends the thread. */
  async disconnect(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.request({ id: this.nextId++, kind: 'disconnect' });
    } finally {
      await this.worker.terminate(); // also when the disconnect failed: a live thread would keep the process up
    }
  }

  /** Packed when every message can be (packed-messages.ts: its bytes move to the thread uncopied), else cloned. */
  send(topic: string, messages: readonly Message[]): Promise<void> {
    const packed = packMessages(messages, this.chunkSize);
    if (packed) return this.request({ id: this.nextId++, kind: 'packed', topic, chunks: packed }, packed.map((c) => c.bytes.buffer as ArrayBuffer));
    return this.request({ id: this.nextId++, kind: 'send', topic, chunks: sendChunks(messages, this.chunkSize) });
  }

  private request(request: Request, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.worker.postMessage(request, transfer);
    });
  }

  private onReply(reply: Reply): void {
    if (reply.kind === 'log') return writeKafkaLogEntry(this.log, reply.entry);
    const waiting = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.kind === 'done') waiting?.resolve();
    else waiting?.reject(new ThreadSendError(reply.error.name, reply.error.message));
  }

  /** The thread is gone (crashed or terminated): nothing pending can be answered any more. */
  private stop(reason: Error): void {
    this.stopped ??= reason;
    if (this.pending.size > 0) this.log.error({ err: reason, pending: this.pending.size }, 'Kafka sender thread stopped with sends pending');
    for (const { reject } of this.pending.values()) reject(reason);
    this.pending.clear();
  }
}
