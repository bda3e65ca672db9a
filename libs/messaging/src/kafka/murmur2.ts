/**
 * kafkajs's murmur2 (`producer/partitioners/default/murmur2`), which its DefaultPartitioner
 * hashes each message key with: the same 32-bit result, in 32-bit integer steps instead of
 * BigInt-backed Longs that grow with every multiplication (kafkajs never wraps them; only the
 * low 32 bits, which these steps keep, reach the result). The sender thread runs it from this
 * function's source (thread-sender.ts): it may use nothing but its argument and the global Buffer.
 */
export function murmur2(key: unknown): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    h = Math.imul(h, m) ^ Math.imul(k, m);
  }
  const rest = length % 4;
  if (rest === 3) h ^= (data[whole + 2] as number) << 16;
  if (rest >= 2) h ^= (data[whole + 1] as number) << 8;
  if (rest >= 1) h = Math.imul(h ^ (data[whole] as number), m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
