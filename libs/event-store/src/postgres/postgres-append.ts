import type { Pool } from 'pg';
import type { GroupAnswer, GroupAppend } from '../group-commit';
import { ANY, ConcurrencyError, DuplicateEventsError, NO_STREAM, type AppendResult, type EventData, type ExpectedRevision } from '@ifreg/ports';
import { isUniqueViolation } from './postgres-errors';
import { batchJson } from './postgres-rows';
import type { StoreNames } from './postgres-schema';

/** What append_events (postgres-append-sql.ts) read under the stream's lock, and how many rows it inserted. */
interface AppendState {
  readonly stream_revision: number | null;
  readonly stream_position: string | null;
  readonly found_count: number;
  readonly found_position: string | null;
  readonly foreign_id: string | null;
  readonly foreign_stream: string | null;
  readonly inserted: number;
  /** The position of the last event inserted (null when none was). */
  readonly last_position: string | null;
}

/** One append: one call of the store's append_events function, one transaction, one round trip. */
export class PostgresAppend {
  private readonly call: string;
  private readonly groupCallSql: string;
  private readonly revisionQuery: string;

  constructor(private readonly names: StoreNames) {
    this.call = `SELECT * FROM "${names.schema}".append_events($1, $2, $3, $4)`;
    this.groupCallSql = `SELECT * FROM "${names.schema}".append_group($1, $2, $3)`;
    this.revisionQuery = `SELECT max(revision) AS revision FROM ${names.table} WHERE stream = $1`;
  }

  async run(pool: Pool, stream: string, events: readonly EventData[], expected: ExpectedRevision): Promise<AppendResult> {
    const state = await this.callFunction(pool, stream, checkedIds(stream, events), events, expected);
    return this.answer(stream, events, expected, state);
  }

  /**
   * Several appends in one statement (append_group), so one round trip and one commit (one
   * WAL flush) for all: each stream's lock is held to the commit. A conflict or redelivery is
   * told from what each append answers, as in run(); an error (connection lost, the
   * unique-violation backstop) fails the whole group, nothing of it committed.
   */
  async runGroup(pool: Pool, appends: readonly GroupAppend[]): Promise<GroupAnswer[]> {
    const answerOf = (f: () => AppendResult): GroupAnswer => {
      try {
        return { ok: true, result: f() };
      } catch (error) {
        return { ok: false, error };
      }
    };
    // A batch that repeats an id fails alone, before the transaction, as it does on SQLite.
    const refusals = appends.map((a): GroupAnswer | undefined => {
      try {
        checkedIds(a.stream, a.events);
        return undefined;
      } catch (error) {
        return { ok: false, error };
      }
    });
    const valid = appends.filter((_, i) => refusals[i] === undefined);
    const states = valid.length === 0 ? [] : await this.groupCall(pool, valid);
    let next = 0;
    return appends.map((a, i) => refusals[i] ?? answerOf(() => this.answer(a.stream, a.events, a.expected, states[next++]!)));
  }

  /** append_group: the whole group in one statement, so one round trip and one commit. */
  private async groupCall(pool: Pool, appends: readonly GroupAppend[]): Promise<AppendState[]> {
    const values = [appends.map((a) => a.stream), appends.map((a) => (a.expected === ANY ? null : a.expected)), `[${appends.map((a) => batchJson(a.events)).join(',')}]`];
    const { rows } = await pool.query<AppendState>({ name: `${this.names.schema}.append-group`, text: this.groupCallSql, values });
    if (rows.length !== appends.length) throw new Error(`append_group answered ${rows.length} rows for ${appends.length} appends`);
    return rows;
  }

  private answer(stream: string, events: readonly EventData[], expected: ExpectedRevision, state: AppendState): AppendResult {
    const current = state.stream_revision ?? NO_STREAM;
    const stale = expected !== ANY && expected !== current;
    const redelivered = recordedPosition(stream, events.length, state, stale ? expected : undefined, current);
    if (redelivered !== undefined) return { nextExpectedRevision: current, position: redelivered };
    if (stale) throw new ConcurrencyError(stream, expected, current);
    if (events.length === 0) return { nextExpectedRevision: current, position: Number(state.stream_position ?? 0) };
    if (state.inserted !== events.length) throw new Error(`stream ${stream}: append_events inserted ${state.inserted} of ${events.length} events`);
    return { nextExpectedRevision: current + events.length, position: Number(state.last_position) };
  }

  private async callFunction(pool: Pool, stream: string, ids: string[], events: readonly EventData[], expected: ExpectedRevision): Promise<AppendState> {
    try {
      const values = [stream, expected === ANY ? null : expected, ids, batchJson(events)];
      const { rows: [state] } = await pool.query<AppendState>({ name: `${this.names.schema}.append`, text: this.call, values });
      if (state === undefined) throw new Error('append_events answered no row');
      return state;
    } catch (error) {
      // The stream's lock makes this unreachable for our writers; the constraint is the backstop.
      if (!isUniqueViolation(error, 'events_stream_revision_key')) throw error;
      const { rows } = await pool.query<{ revision: number | null }>(this.revisionQuery, [stream]);
      throw new ConcurrencyError(stream, expected, rows[0]?.revision ?? NO_STREAM);
    }
  }
}

function checkedIds(stream: string, events: readonly EventData[]): string[] {
  const ids = events.map((e) => e.id);
  if (new Set(ids).size !== ids.length) throw new Error(`stream ${stream}: the batch repeats an event id`);
  return ids;
}

/**
 * Idempotency, as in the SQLite adapter: when every id of the batch is already in this
 * stream (a redelivered message) answers the position of the last of them; when none
 * is, undefined. A partial overlap is a conflict (re-reading the stream resolves it).
 */
function recordedPosition(stream: string, count: number, state: AppendState, staleExpected: ExpectedRevision | undefined, current: number): number | undefined {
  if (state.foreign_id !== null) throw new Error(`event id ${state.foreign_id} is already recorded in stream ${state.foreign_stream ?? '?'}, not ${stream}`);
  if (state.found_count === 0) return undefined;
  if (state.found_count === count) return Number(state.found_position);
  if (staleExpected !== undefined) throw new ConcurrencyError(stream, staleExpected, current);
  throw new DuplicateEventsError(stream, state.found_count, count, current);
}
