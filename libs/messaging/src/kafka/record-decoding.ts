import { dirname, join } from 'node:path';

/** kafkajs's `protocol/decoder` as far as a record batch decoder uses it: a buffer and a position in it. */
export interface KafkaFetchDecoder {
  buffer: Buffer;
  offset: number;
}

/** A record as kafkajs's batch decoder (`protocol/recordBatch/v0/decoder`) returns it. */
export interface DecodedRecord {
  readonly magicByte: number;
  readonly attributes: number;
  readonly timestamp: string;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, unknown>;
  readonly isControlRecord: boolean;
  readonly batchContext: Record<string, unknown>;
}

export interface DecodedBatch extends Record<string, unknown> {
  readonly records: DecodedRecord[];
}

/** That decoder: reads one record batch at the decoder's position and moves past it. */
export type RecordBatchDecoder = (decoder: KafkaFetchDecoder) => Promise<DecodedBatch>;

/** What `recordDecoding` falls back on and throws: kafkajs's own. */
export interface KafkajsDecoding {
  readonly recordBatch: RecordBatchDecoder;
  /** kafkajs's KafkaJSPartialMessageError: decodeMessages stops at it (the fetch's last batch may be cut short). */
  readonly partialMessageError: new (message: string) => Error;
}

/** How many batches `recordDecoding` decoded itself and how many it handed to kafkajs. */
export interface DecodingCounts {
  ours: number;
  kafkajs: number;
}

// kafkajs's constants (recordBatch/v0/decoder.js, message/compression).
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const CREATE_TIME = 0;
const LOG_APPEND_TIME = 1;
/** The batch's fields after its length, its record count included. */
const HEADER_BYTES = 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

/** Anything this decoder does not read itself: the batch goes to kafkajs's decoder from its start. */
class Unusual extends Error {}
const unusual = new Unusual();

/**
 * kafkajs's record batch decoder (magic 2) with the same output for the same bytes, in fewer
 * steps: kafkajs gives each record a Decoder and a buffer of its own, reads each 64-bit delta
 * through a chain of Long objects, parses the batch's first offset and timestamp from text again
 * for every record, and copies the headers object once per header. This reads the batch's
 * buffer in place and adds the deltas as numbers (when the sums are exact; else through
 * BigInt, as kafkajs does). Compressed, transactional and control batches, and anything out of
 * bounds or out of the ordinary, go to kafkajs's decoder.
 */
export function recordDecoding(kafkajs: KafkajsDecoding, counts: DecodingCounts = { ours: 0, kafkajs: 0 }): RecordBatchDecoder {
  return async (fetchDecoder) => {
    const start = fetchDecoder.offset;
    try {
      const batch = decodeBatch(fetchDecoder, kafkajs);
      counts.ours += 1;
      return batch;
    } catch (error) {
      if (!(error instanceof Unusual)) throw error;
      fetchDecoder.offset = start;
      counts.kafkajs += 1;
      return kafkajs.recordBatch(fetchDecoder);
    }
  };
}

/** An int64 as kafkajs's `readInt64().toString()` gives it. */
function int64Text(buf: Buffer, at: number): string {
  const high = buf.readInt32BE(at);
  // Below 2^53 in magnitude the number is exact, and its text is the BigInt's.
  if (high >= -0x200000 && high < 0x200000) return String(high * 0x1_0000_0000 + buf.readUInt32BE(at + 4));
  return buf.readBigInt64BE(at).toString();
}

/** `base` (an int64's text) plus `delta`, as kafkajs's `Long.fromValue(base).add(delta).toString()`. */
function plus(base: string, baseNumber: number, delta: number): string {
  const sum = baseNumber + delta;
  return Number.isSafeInteger(baseNumber) && Number.isSafeInteger(sum) ? String(sum) : String(BigInt(base) + BigInt(delta));
}

function decodeBatch(fetchDecoder: KafkaFetchDecoder, kafkajs: KafkajsDecoding): DecodedBatch {
  const buf = fetchDecoder.buffer;
  const at = fetchDecoder.offset;
  if (at + 12 > buf.length) throw unusual;
  const firstOffset = int64Text(buf, at);
  const length = buf.readInt32BE(at + 8);
  if (length < HEADER_BYTES) throw unusual;
  const begin = at + 12;
  fetchDecoder.offset = begin + length;
  if (buf.length - begin < length) {
    throw new kafkajs.partialMessageError(`Tried to decode a partial record batch: remainingBytes(${buf.length - begin}) < recordBatchLength(${length})`);
  }
  const end = begin + length;
  const partitionLeaderEpoch = buf.readInt32BE(begin);
  const magicByte = buf.readInt8(begin + 4);
  const attributes = buf.readInt16BE(begin + 9);
  if (magicByte !== 2 || (attributes & (COMPRESSION_MASK | TRANSACTIONAL_FLAG | CONTROL_FLAG)) !== 0) throw unusual;
  const lastOffsetDelta = buf.readInt32BE(begin + 11);
  const firstTimestamp = int64Text(buf, begin + 15);
  const maxTimestamp = int64Text(buf, begin + 23);
  const producerId = int64Text(buf, begin + 31);
  const producerEpoch = buf.readInt16BE(begin + 39);
  const firstSequence = buf.readInt32BE(begin + 41);
  const count = buf.readInt32BE(begin + 45);
  const timestampType = (attributes & TIMESTAMP_TYPE_FLAG) > 0 ? LOG_APPEND_TIME : CREATE_TIME;
  const recordContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction: false,
    isControlBatch: false,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    timestampType,
  };
  const batchContext = { ...recordContext, magicByte };
  if (count < -1) throw unusual;
  const records: DecodedRecord[] = count === -1 ? [] : new Array<DecodedRecord>(count);
  let pos = begin + HEADER_BYTES;
  let limit = end;
  // kafkajs's readVarInt, which never reads past `limit` here.
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      if (pos >= limit || shift > 28) throw unusual;
      byte = buf[pos++] as number;
      result += (byte & 0x7f) << shift;
      shift += 7;
    } while (byte >= 0x80);
    return (result >>> 1) ^ -(result & 1);
  };
  // kafkajs's readVarLong for deltas of up to 28 bits (4 bytes); longer ones are unusual.
  const varlong = (): number => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      if (pos >= limit || shift > 21) throw unusual;
      byte = buf[pos++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte >= 0x80);
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  };
  const bytes = (): Buffer | null => {
    const size = varint();
    if (size === -1) return null;
    if (size < 0 || pos + size > limit) throw unusual;
    pos += size;
    return buf.subarray(pos - size, pos);
  };
  const firstOffsetNumber = Number(firstOffset);
  const firstTimestampNumber = Number(firstTimestamp);
  let lastDelta = 0;
  let lastTimestamp = firstTimestamp;
  for (let i = 0; i < count; i++) {
    limit = end;
    const size = varint();
    if (size < 1 || pos + size > end) throw unusual;
    limit = pos + size;
    const recordAttributes = buf.readInt8(pos++);
    const timestampDelta = varlong();
    let timestamp: string;
    if (timestampType === LOG_APPEND_TIME && maxTimestamp) timestamp = maxTimestamp;
    else {
      // The records of a batch mostly share their timestamp: its text is made once.
      if (i === 0 || timestampDelta !== lastDelta) lastTimestamp = plus(firstTimestamp, firstTimestampNumber, timestampDelta);
      lastDelta = timestampDelta;
      timestamp = lastTimestamp;
    }
    const offset = plus(firstOffset, firstOffsetNumber, varint());
    const key = bytes();
    const value = bytes();
    const headerCount = varint();
    if (headerCount < -1) throw unusual;
    const headers: Record<string, unknown> = {};
    for (let h = 0; h < headerCount; h++) {
      const nameSize = varint();
      if (nameSize < 0 || pos + nameSize > limit) throw unusual;
      const name = buf.toString('utf8', pos, pos + nameSize);
      pos += nameSize;
      // kafkajs spreads into a new object per header; assignment is the same but for __proto__.
      if (name === '__proto__') throw unusual;
      const headerValue = bytes();
      const earlier = headers[name];
      headers[name] = earlier === undefined ? headerValue : Array.isArray(earlier) ? earlier.concat([headerValue]) : [earlier, headerValue];
    }
    records[i] = { magicByte, attributes: recordAttributes, timestamp, offset, key, value, headers, isControlRecord: false, batchContext };
    pos = limit;
  }
  return { ...recordContext, records };
}

/** kafkajs's modules: its batch decoder, and the fetch response code that takes it in when first loaded. */
const KAFKAJS = {
  batchDecoder: 'src/protocol/recordBatch/v0/decoder.js',
  fetchMessages: 'src/protocol/requests/fetch/v4/decodeMessages.js',
  errors: 'src/errors.js',
} as const;

/** Batches decoded in this process since `installRecordDecoding`: by `recordDecoding`, or handed to kafkajs's. */
export const recordDecodingCounts: DecodingCounts = { ours: 0, kafkajs: 0 };
let installed = false;

/**
 * Puts `recordDecoding` in place of kafkajs's batch decoder in this process's module cache,
 * before kafkajs's fetch response code loads it (on the first fetch): every kafkajs consumer of
 * the process then uses it. False when that is too late (a fetch happened already) or the
 * module cache is not Node's.
 */
export function installRecordDecoding(): boolean {
  if (installed) return true;
  const file = (name: string): string => require.resolve(join(dirname(require.resolve('kafkajs')), name));
  if (require.cache[file(KAFKAJS.fetchMessages)]) return false;
  const path = file(KAFKAJS.batchDecoder);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded into the cache, to be replaced there
  require(path);
  const cached = require.cache[path];
  if (!cached) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KafkaJSPartialMessageError } = require(file(KAFKAJS.errors)) as { KafkaJSPartialMessageError: KafkajsDecoding['partialMessageError'] };
  cached.exports = recordDecoding({ recordBatch: cached.exports as RecordBatchDecoder, partialMessageError: KafkaJSPartialMessageError }, recordDecodingCounts);
  installed = true;
  return true;
}
