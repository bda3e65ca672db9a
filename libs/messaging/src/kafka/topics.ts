import type { Admin } from 'kafkajs';

export interface EnsuredTopics {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

/**
 * Creates the missing topics (the broker does not auto-create them) and waits until each
 * partition has a leader, so a producer or consumer started next does not meet
 * UNKNOWN_TOPIC_OR_PARTITION. Existing topics are left as they are, whatever their
 * partition count: changing it would move scopes to other partitions.
 */
export async function ensureTopics(admin: Admin, names: readonly string[], partitions: number): Promise<EnsuredTopics> {
  const wanted = [...new Set(names)];
  const present = new Set(await admin.listTopics());
  const missing = wanted.filter((name) => !present.has(name));
  if (missing.length === 0) return { created: [], existing: wanted };
  const created = await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions })) });
  // false: another instance created them first (kafkajs maps TOPIC_ALREADY_EXISTS to false)
  // and we skipped the leader wait; metadata requests retry until the leaders are known.
  if (!created) await admin.fetchTopicMetadata({ topics: missing });
  return { created: created ? missing : [], existing: wanted.filter((name) => present.has(name) || !created) };
}
