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
  // and the leader wait was skipped: wait for the leaders here (a send before them fails with
  // "not the leader" once kafkajs's retries run out on a slow broker).
  if (!created) await waitForLeaders(admin, missing, LEADER_WAIT_MS);
  return { created: created ? missing : [], existing: wanted.filter((name) => present.has(name) || !created) };
}

const LEADER_WAIT_MS = 30_000;

async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
    const leaderless = found.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
    if (leaderless.length === 0) return;
    if (Date.now() + delay > deadline) throw new Error(`topics without a leader after ${timeoutMs} ms: ${leaderless.map((t) => t.name).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
