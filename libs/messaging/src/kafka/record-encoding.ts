/** A record as kafkajs's produce request (v3 and later) hands it to its record encoder. */
export interface KafkaRecordInput {
  readonly offsetDelta?: number;
  readonly timestampDelta?: number;
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: Readonly<Record<string, unknown>>;
}

/** What kafkajs's record encoder returns: an Encoder, of which the batch reads `buf` (to check it) and `buffer`. */
export interface EncodedRecord {
  readonly buf: Buffer;
  readonly buffer: Buffer;
}

/** A record batch as kafkajs's produce request hands it to `RecordBatch` (`protocol/recordBatch/v0`). */
export interface KafkaBatchInput {
  readonly compression?: number;
  readonly firstOffset?: unknown;
  readonly firstTimestamp?: unknown;
  readonly maxTimestamp?: unknown;
  readonly partitionLeaderEpoch?: number;
  readonly lastOffsetDelta?: number;
  readonly transactional?: boolean;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly firstSequence?: number;
  readonly records?: readonly EncodedRecord[];
}

/** What kafkajs's RecordBatch resolves to: an Encoder, of which the request reads `size()`, `buf` and `buffer`. */
export interface EncodedBatch extends EncodedRecord {
  size(): number;
}

/** kafkajs's encoders that `recordEncoding` stands in for, and falls back on. */
export interface KafkajsEncoders {
  readonly record: (input: KafkaRecordInput) => EncodedRecord;
  readonly recordBatch: (input: KafkaBatchInput) => Promise<EncodedBatch>;
}

export interface RecordEncoding {
  /** kafkajs's `protocol/recordBatch/record/v0` export, byte for byte; unusual records go to kafkajs's. */
  readonly record: (input: KafkaRecordInput) => EncodedRecord;
  /** kafkajs's `RecordBatch` of `protocol/recordBatch/v0`, byte for byte; compressed batches go to kafkajs's. */
  readonly recordBatch: (input: KafkaBatchInput) => Promise<EncodedBatch>;
  /** kafkajs's `protocol/recordBatch/crc32C` export: CRC-32C (Castagnoli) of the bytes, unsigned. */
  readonly crc32c: (bytes: Buffer) => number;
}

/**
 * Kafka's record batch (magic 2), its records and its CRC-32C as kafkajs writes them, in fewer
 * steps: kafkajs builds each record and each of its headers in an Encoder of its own (a zeroed
 * 512-byte buffer each, varints through byte arrays and 64-bit Long objects), grows the batch
 * by doubling and copying, and checks it a byte at a time; this writes each record and the batch
 * into one buffer of its exact size and checks 8 bytes a step.
 * The sender thread installs it in place of kafkajs's (thread-sender.ts), so it runs from this
 * function's source: it may use nothing but its argument and the global Buffer.
 * Records with numeric or array values, null headers or timestamps beyond 32 bits, and compressed
 * batches, go to kafkajs's own encoders.
 */
export function recordEncoding(kafkajs: KafkajsEncoders): RecordEncoding {
  const INT32 = 2 ** 31;
  const isBytes = (x: unknown): x is string | Buffer | null | undefined => x == null || typeof x === 'string' || Buffer.isBuffer(x);
  const isInt32 = (x: number): boolean => Number.isInteger(x) && x >= -INT32 && x < INT32;
  /** Bytes of an unsigned varint (the value already zigzag-encoded). */
  const varintSize = (u: number): number => (u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5);
  const zigzag = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0;
  const byteLength = (x: string | Buffer | null | undefined): number => (x == null ? -1 : typeof x === 'string' ? Buffer.byteLength(x, 'utf8') : x.length);
  /** A field's bytes: its length as a varint (-1: null), then its bytes. */
  const fieldSize = (length: number): number => varintSize(zigzag(length)) + Math.max(length, 0);

  const record = (input: KafkaRecordInput): EncodedRecord => {
    const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = input;
    const names = Object.keys(headers);
    const plain = isBytes(key) && isBytes(value) && isInt32(offsetDelta) && isInt32(timestampDelta) && names.every((n) => { const h = headers[n]; return typeof h === 'string' || Buffer.isBuffer(h); });
    if (!plain) return kafkajs.record(input);
    const keyLength = byteLength(key);
    const valueLength = byteLength(value);
    const headerLengths: number[] = [];
    let body = 1 + varintSize(zigzag(timestampDelta)) + varintSize(zigzag(offsetDelta)) + fieldSize(keyLength) + fieldSize(valueLength) + varintSize(zigzag(names.length));
    for (const name of names) {
      const nameLength = Buffer.byteLength(name, 'utf8');
      const headerLength = byteLength(headers[name] as string | Buffer);
      headerLengths.push(nameLength, headerLength);
      body += fieldSize(nameLength) + fieldSize(headerLength);
    }
    const buf = Buffer.allocUnsafe(varintSize(zigzag(body)) + body);
    let at = 0;
    const varint = (n: number): void => {
      let u = zigzag(n);
      while (u >= 0x80) {
        buf[at++] = (u & 0x7f) | 0x80;
        u >>>= 7;
      }
      buf[at++] = u;
    };
    const field = (x: string | Buffer | null | undefined, length: number): void => {
      varint(length);
      if (x == null) return;
      if (typeof x === 'string') buf.write(x, at, length, 'utf8');
      else x.copy(buf, at);
      at += length;
    };
    varint(body);
    buf[at++] = 0; // attributes: none used in a record
    varint(timestampDelta);
    varint(offsetDelta);
    field(key, keyLength);
    field(value, valueLength);
    varint(names.length);
    names.forEach((name, i) => {
      field(name, headerLengths[2 * i] as number);
      field(headers[name] as string | Buffer, headerLengths[2 * i + 1] as number);
    });
    return { buf, buffer: buf };
  };

  // Slicing by 8: table k is the CRC of a byte followed by k zero bytes.
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t0[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const previous = (tables[k - 1] as Int32Array)[n] as number;
      (tables[k] as Int32Array)[n] = (previous >>> 8) ^ (t0[previous & 0xff] as number);
    }
  }
  const crc32c = (bytes: Buffer): number => {
    let crc = -1;
    let i = 0;
    const end8 = bytes.length - (bytes.length % 8);
    for (; i < end8; i += 8) {
      const a = crc ^ ((bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24));
      crc =
        (t7[a & 0xff] as number) ^ (t6[(a >>> 8) & 0xff] as number) ^ (t5[(a >>> 16) & 0xff] as number) ^ (t4[a >>> 24] as number) ^
        (t3[bytes[i + 4] as number] as number) ^ (t2[bytes[i + 5] as number] as number) ^ (t1[bytes[i + 6] as number] as number) ^ (t0[bytes[i + 7] as number] as number);
    }
    for (; i < bytes.length; i++) crc = (t0[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
    return (crc ^ -1) >>> 0;
  };

  /** A 64-bit field: numbers, strings, bigints and kafkajs's Long (whose toString is decimal). */
  const int64 = (x: unknown): bigint | undefined => {
    if (typeof x === 'number' && !Number.isInteger(x)) return undefined;
    try {
      return BigInt.asIntN(64, BigInt(String(x)));
    } catch {
      return undefined;
    }
  };
  const recordBatch = async (input: KafkaBatchInput): Promise<EncodedBatch> => {
    const now = Date.now();
    const { compression = 0, firstOffset = 0, firstTimestamp = now, maxTimestamp = now, partitionLeaderEpoch = 0, lastOffsetDelta = 0 } = input;
    const { transactional = false, producerId = -1, producerEpoch = 0, firstSequence = 0, records = [] } = input;
    const longs = [firstOffset, firstTimestamp, maxTimestamp, producerId].map(int64);
    if (compression !== 0 || longs.includes(undefined) || !records.every((r) => Buffer.isBuffer(r?.buf))) return kafkajs.recordBatch(input);
    const [offset, first, max, producer] = longs as bigint[];
    let recordBytes = 0;
    for (const r of records) recordBytes += r.buffer.length;
    // firstOffset, length; leader epoch, magic, CRC; the CRC's span: attributes … first sequence, the record count, the records.
    const buf = Buffer.allocUnsafe(8 + 4 + 4 + 1 + 4 + 40 + recordBytes);
    buf.writeBigInt64BE(offset as bigint, 0);
    buf.writeInt32BE(buf.length - 12, 8);
    buf.writeInt32BE(partitionLeaderEpoch, 12);
    buf.writeInt8(2, 16);
    buf.writeInt16BE(transactional ? 16 : 0, 21);
    buf.writeInt32BE(lastOffsetDelta, 23);
    buf.writeBigInt64BE(first as bigint, 27);
    buf.writeBigInt64BE(max as bigint, 35);
    buf.writeBigInt64BE(producer as bigint, 43);
    buf.writeInt16BE(producerEpoch, 51);
    buf.writeInt32BE(firstSequence, 53);
    buf.writeInt32BE(records.length, 57);
    let at = 61;
    for (const r of records) {
      r.buffer.copy(buf, at);
      at += r.buffer.length;
    }
    buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
    return { buf, buffer: buf, size: () => buf.length };
  };

  return { record, recordBatch, crc32c };
}
