import type { Admin } from 'kafkajs';
import { backoffDelay, retry } from '@ifreg/platform';

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

class LeaderlessError extends Error {}

async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const delayMs = (failures: number): number => backoffDelay(failures, { minMs: 50, maxMs: 1_000 });
  await retry(
    async () => {
      const leaderless = await leaderlessTopics(admin, topics);
      if (leaderless.length > 0) throw new LeaderlessError(`topics without a leader after ${timeoutMs} ms: ${leaderless.join(', ')}`);
    },
    { retries: Number.POSITIVE_INFINITY, delayMs, retryIf: (error) => error instanceof LeaderlessError && Date.now() < deadline },
  );
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
