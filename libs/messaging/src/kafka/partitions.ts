import { Partitioners } from 'kafkajs';

const partitioner = Partitioners.DefaultPartitioner();

/**
 * The partition of a topic with `count` partitions that a keyed record goes to: kafkajs's own
 * DefaultPartitioner (Java's murmur2), so a reader finds exactly where producers put a scope.
 */
export function partitionOf(key: string, count: number): number {
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  return partitioner({ topic: 'any', partitionMetadata, message: { key, value: null } });
}
