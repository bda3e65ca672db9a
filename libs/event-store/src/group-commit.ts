import type { AppendResult, EventData, ExpectedRevision } from '@ifreg/ports';

/** One append as the caller made it, waiting for the next group commit. */
export interface GroupAppend {
  readonly stream: string;
  readonly events: readonly EventData[];
  readonly expected: ExpectedRevision;
}

/** What a group commit answers for each of its appends (a tag, not instanceof: errors may come from another realm). */
export type GroupAnswer = { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: unknown };

interface Queued extends GroupAppend {
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit, shared by the stores whose commits are expensive: the appends made in one
 * turn of the event loop (a registrar batch's scopes, concurrent partitions) are handed to
 * `commit` together, once, after that turn; each promise settles with its own answer.
 * `commit` rejecting fails the whole group.
 */
export class AppendQueue {
  private queue: Queued[] = [];

  constructor(private readonly commit: (group: readonly GroupAppend[]) => GroupAnswer[] | Promise<GroupAnswer[]>) {}

  add(stream: string, events: readonly EventData[], expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      if (this.queue.push({ stream, events, expected, resolve, reject }) === 1) setImmediate(() => void this.flush());
    });
  }

  /** Commits what is queued now (also called by a store's close(), so no append is lost to it). */
  async flush(): Promise<void> {
    const group = this.queue;
    if (group.length === 0) return;
    this.queue = [];
    let answers: GroupAnswer[];
    try {
      answers = await this.commit(group);
    } catch (error) {
      for (const a of group) a.reject(error);
      return;
    }
    group.forEach((a, i) => {
      const answer = answers[i];
      if (answer?.ok === true) a.resolve(answer.result);
      else a.reject(answer === undefined ? new Error('append lost its answer') : answer.error);
    });
  }
}
