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
  // The leaders are waited for here, not by kafkajs: its wait gives up at the first
  // UNKNOWN_TOPIC_OR_PARTITION, which a broker answers while the new topic's metadata spreads.
  // createTopics answers false when another instance created them first.
  const created = await admin.createTopics({ waitForLeaders: false, topics: missing.map((topic) => ({ topic, numPartitions: partitions })) });
  await waitForLeaders(admin, missing, LEADER_WAIT_MS);
  return { created: created ? missing : [], existing: wanted.filter((name) => present.has(name) || !created) };
}

const LEADER_WAIT_MS = 30_000;

async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const leaderless = await leaderlessTopics(admin, topics);
    if (leaderless.length === 0) return;
    if (Date.now() + delay > deadline) throw new Error(`topics without a leader after ${timeoutMs} ms: ${leaderless.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The topics whose partitions are not all led yet; all of them while the broker does not know one. */
async function leaderlessTopics(admin: Admin, topics: readonly string[]): Promise<string[]> {
  try {
    const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
    return found.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
  } catch (error) {
    if ((error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return [...topics];
    throw error;
  }
}
