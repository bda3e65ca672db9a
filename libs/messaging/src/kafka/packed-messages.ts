import type { Message } from 'kafkajs';
import { MAX_BYTES_PER_SEND, MAX_MESSAGES_PER_SEND } from './kafka-sender';

/**
 * One send's messages as bytes, for the sender thread: per message its key, its value (each an
 * int32 length, -1 for null, then UTF-8 or the bytes given) and its headers (a uint16 count, then
 * per header the uint16 index of its name in `names` and its value like a key's). The bytes are
 * moved to the thread, not copied (postMessage's transfer), and the thread sends them as Buffers
 * that point into them: no string is cloned, decoded or encoded again on the way.
 */
export interface PackedChunk {
  readonly names: readonly string[];
  readonly count: number;
  readonly bytes: Uint8Array;
}

const MAX_NAMES = 0xffff;

type Field = string | Buffer | null | undefined;
const isField = (x: unknown): x is Field => x == null || typeof x === 'string' || Buffer.isBuffer(x);
const fieldBytes = (x: Field): number => (x == null ? 0 : typeof x === 'string' ? Buffer.byteLength(x, 'utf8') : x.length);

/** Only key, value and headers of strings or Buffers travel packed; anything else (a partition, a timestamp, repeated headers) the old way. */
function packable(message: Message): boolean {
  for (const name in message) if (name !== 'key' && name !== 'value' && name !== 'headers') return false;
  if (!isField(message.key) || !isField(message.value)) return false;
  for (const name in message.headers) {
    const value = message.headers[name];
    if (typeof value !== 'string' && !Buffer.isBuffer(value)) return false;
  }
  return true;
}

/**
 * The messages in consecutive chunks of at most `maxCount` messages and `maxBytes` bytes of keys,
 * values, header names and values (as sendChunks cuts them), packed; undefined when one of them
 * cannot be packed.
 */
export function packMessages(messages: readonly Message[], maxCount = MAX_MESSAGES_PER_SEND, maxBytes = MAX_BYTES_PER_SEND): PackedChunk[] | undefined {
  const chunks: PackedChunk[] = [];
  let start = 0;
  let packedBytes = 0;
  let counted = 0;
  const names = new Map<string, number>();
  const close = (end: number): void => {
    chunks.push(pack(messages, start, end, [...names.keys()], names, packedBytes));
    start = end;
    packedBytes = 0;
    counted = 0;
    names.clear();
  };
  for (const [i, message] of messages.entries()) {
    if (!packable(message)) return undefined;
    let size = fieldBytes(message.key) + fieldBytes(message.value);
    let packed = 10 + size;
    let headers = 0;
    for (const name in message.headers) {
      const nameBytes = Buffer.byteLength(name, 'utf8');
      const valueBytes = fieldBytes(message.headers[name] as Field);
      size += nameBytes + valueBytes;
      packed += 6 + valueBytes;
      headers++;
    }
    if (headers > MAX_NAMES) return undefined;
    if (i > start && (i - start >= maxCount || counted + size > maxBytes || names.size + headers > MAX_NAMES)) close(i);
    for (const name in message.headers) if (!names.has(name)) names.set(name, names.size);
    counted += size;
    packedBytes += packed;
  }
  if (start < messages.length) close(messages.length);
  return chunks;
}

function pack(messages: readonly Message[], start: number, end: number, nameList: string[], names: ReadonlyMap<string, number>, size: number): PackedChunk {
  // Not from Buffer's shared pool: the bytes are transferred, which detaches their ArrayBuffer.
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  const field = (x: Field): void => {
    if (x == null) {
      at = bytes.writeInt32BE(-1, at);
    } else if (typeof x === 'string') {
      const length = bytes.write(x, at + 4, 'utf8');
      at = bytes.writeInt32BE(length, at) + length;
    } else {
      at = bytes.writeInt32BE(x.length, at);
      at += x.copy(bytes, at);
    }
  };
  for (let i = start; i < end; i++) {
    const { key, value, headers } = messages[i] as Message;
    field(key);
    field(value);
    at = bytes.writeUInt16BE(Object.keys(headers ?? {}).length, at);
    for (const name in headers) {
      at = bytes.writeUInt16BE(names.get(name) as number, at);
      field(headers[name] as Field);
    }
  }
  return { names: nameList, count: end - start, bytes };
}

/**
 * The messages again, keys, values and header values as Buffers over the bytes. Runs in the
 * sender thread from its source: it may use nothing but its argument and the global Buffer.
 */
export function unpackMessages(chunk: PackedChunk): Message[] {
  const { names, count } = chunk;
  const bytes = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
  const messages: Message[] = [];
  let at = 0;
  const field = (): Buffer | null => {
    const length = bytes.readInt32BE(at);
    at += 4;
    if (length < 0) return null;
    at += length;
    return bytes.subarray(at - length, at);
  };
  for (let i = 0; i < count; i++) {
    const key = field();
    const value = field();
    // No prototype: a header may be named __proto__.
    const headers = Object.create(null) as Record<string, Buffer | null>;
    const headerCount = bytes.readUInt16BE(at);
    at += 2;
    for (let h = 0; h < headerCount; h++) {
      const name = names[bytes.readUInt16BE(at)] as string;
      at += 2;
      headers[name] = field();
    }
    messages.push({ key, value, headers: headers as Message['headers'] });
  }
  return messages;
}
