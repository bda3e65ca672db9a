import { Pool } from 'pg';
import { OpenSubscriptions } from '../catch-up-subscription';
import { AppendQueue, type GroupAnswer, type GroupAppend } from '../group-commit';
import {
  ConcurrencyError,
  type AllHandler, type AppendResult, type EventData, type EventStore, type ExpectedRevision,
  type RecordedEvent, type SubscribeOptions, type Subscription,
} from '@ifreg/ports';
import { PostgresAppend } from './postgres-append';
import { isTransientPostgresError } from './postgres-errors';
import { PostgresNotifier } from './postgres-notifier';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './postgres-rows';
import { schemaSql, storeNames, type StoreNames } from './postgres-schema';
import { subscriptionSource, type SubscriptionSourceOptions } from './postgres-subscription';

export interface PostgresEventStoreOptions {
  /** e.g. postgres://user@host:5432/db */
  readonly connectionString: string;
  /** The schema holding the `events` table; created when missing. Default 'ifreg'. */
  readonly schema?: string;
  /** First poll delay of a caught-up subscription; it doubles up to maxPollIntervalMs. Default 100. */
  readonly pollIntervalMs?: number;
  /** Longest poll delay. Polling only backs up LISTEN/NOTIFY, so it can be long. Default 5000. */
  readonly maxPollIntervalMs?: number;
  /** Connections of the pool. Default 10. */
  readonly poolSize?: number;
  /**
   * How long a query may wait for its reply before it fails (and its connection is dropped).
   * Default 10000. A `query_timeout` in the connection string wins.
   */
  readonly queryTimeoutMs?: number;
  /** How long a subscription retries a lost connection before it reports the error to onError. Default 60000. */
  readonly reconnectTimeoutMs?: number;
}

/**
 * The shared store: several registrar and query processes on one PostgreSQL database.
 * Positions come from a sequence; writers of one stream take its lock, writers of different
 * streams do not wait for each other, and readers read only below the lowest position a
 * writer still in flight could commit (see postgres-append-sql.ts). Subscriptions wake on
 * LISTEN/NOTIFY and poll with back-off, and ride out a server restart.
 */
export class PostgresEventStore implements EventStore {
  private readonly names: StoreNames;
  private readonly pool: Pool;
  private readonly appender: PostgresAppend;
  private readonly notifier: PostgresNotifier;
  private readonly subscriptions = new OpenSubscriptions();
  private readonly sourceOptions: SubscriptionSourceOptions;
  private readonly readAllQuery: string;
  private readonly readStreamQuery: string;
  private readonly readByIdsQuery: string;
  private readonly appends = new AppendQueue((group) => this.commitGroup(group));

  /** Opens the store and creates its schema and table when missing. */
  static async create(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(options);
    try {
      await store.init();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** Connects lazily; call init() (or use create) before the first append to a new database. */
  constructor(options: PostgresEventStoreOptions) {
    this.names = storeNames(options.schema ?? 'ifreg');
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 10_000,
      query_timeout: options.queryTimeoutMs ?? 10_000,
      // A peer gone without a FIN (a cut network) is noticed by the kernel too.
      keepAlive: true,
      application_name: 'ifreg-event-store',
    });
    // An idle connection the server closed (a restart) is dropped by the pool and
    // replaced on the next query; without a listener the event would crash the process.
    this.pool.on('error', () => undefined);
    this.appender = new PostgresAppend(this.names);
    this.notifier = new PostgresNotifier({ connectionString: options.connectionString, channel: this.names.channel });
    const pollIntervalMs = options.pollIntervalMs ?? 100;
    this.sourceOptions = {
      readAll: (from, limit) => this.readAll(from, limit),
      notifier: this.notifier,
      pollIntervalMs,
      maxPollIntervalMs: Math.max(options.maxPollIntervalMs ?? 5000, pollIntervalMs),
      reconnectTimeoutMs: options.reconnectTimeoutMs ?? 60_000,
    };
    this.readAllQuery = `SELECT ${EVENT_COLUMNS} FROM "${this.names.schema}".read_events($1, $2)`;
    this.readByIdsQuery = `SELECT ${EVENT_COLUMNS} FROM ${this.names.table} WHERE id = ANY($1::text[]) AND stream = $2 ORDER BY revision`;
    this.readStreamQuery = `SELECT ${EVENT_COLUMNS} FROM ${this.names.table} WHERE stream = $1 AND revision >= $2 ORDER BY revision`;
  }

  async init(): Promise<void> {
    await this.pool.query(schemaSql(this.names));
  }

  /**
   * A connection lost during the call leaves the outcome unknown: append the same events
   * again with the same expected revision; if they were recorded it is a no-op.
   *
   * Group commit: the appends made in one turn of the event loop (a registrar batch's scopes,
   * concurrent partitions) go in one transaction, since each commit waits for a WAL flush.
   */
  append(stream: string, events: readonly EventData[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    return this.appends.add(stream, events, expectedRevision);
  }

  private async commitGroup(group: readonly GroupAppend[]): Promise<GroupAnswer[]> {
    try {
      const [only] = group;
      // One append alone needs no transaction of its own: the function call is one.
      if (group.length === 1 && only) return [{ ok: true, result: await this.appender.run(this.pool, only.stream, only.events, only.expected) }];
      try {
        return await this.appender.runGroup(this.pool, group);
      } catch (error) {
        if (isTransientPostgresError(error)) throw error;
        // One append's data failed a statement (e.g. a \u0000 jsonb refuses) and took the
        // group's transaction with it: each on its own now, so that only that one fails.
        return await this.oneByOne(group);
      }
    } finally {
      // Subscriptions of this store need not wait for the notification's round trip.
      this.notifier.wake();
    }
  }

  private async oneByOne(group: readonly GroupAppend[]): Promise<GroupAnswer[]> {
    const answers: GroupAnswer[] = [];
    for (const a of group) {
      try {
        answers.push({ ok: true, result: await this.appender.run(this.pool, a.stream, a.events, a.expected) });
      } catch (error) {
        answers.push({ ok: false, error });
      }
    }
    return answers;
  }

  async readStream(stream: string, fromRevision = 0): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>({ name: `${this.names.schema}.read-stream`, text: this.readStreamQuery, values: [stream, fromRevision] });
    return rows.map(toRecordedEvent);
  }

  async readByIds(stream: string, ids: readonly string[]): Promise<RecordedEvent[]> {
    if (ids.length === 0) return [];
    const values = [[...new Set(ids)], stream];
    const { rows } = await this.pool.query<EventRow>({ name: `${this.names.schema}.read-by-ids`, text: this.readByIdsQuery, values });
    return rows.map(toRecordedEvent);
  }

  isTransient(error: unknown): boolean {
    return error instanceof ConcurrencyError || isTransientPostgresError(error);
  }

  async readAll(from: number, limit: number): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>({ name: `${this.names.schema}.read-all`, text: this.readAllQuery, values: [from, limit] });
    return rows.map(toRecordedEvent);
  }

  async headPosition(): Promise<number> {
    const { rows } = await this.pool.query<{ head: string }>(`SELECT coalesce(max(position), 0) AS head FROM ${this.names.table}`);
    return Number(rows[0]?.head ?? 0);
  }

  subscribeAll(handler: AllHandler, options: SubscribeOptions): Subscription {
    this.notifier.start();
    const closing = new AbortController();
    return this.subscriptions.start(subscriptionSource(this.sourceOptions, closing.signal), handler, options, () => closing.abort());
  }

  /** Subscriptions first (each waits for its running handler call), then the listener and the pool. */
  async close(): Promise<void> {
    await this.subscriptions.closeAll();
    await this.notifier.close();
    if (this.pool.ended) return;
    await this.appends.flush(); // appends already made are committed, as by the SQLite store
    await this.pool.end(); // waits for groups still running (their clients are checked out)
  }
}
