import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** The machine's PostgreSQL, as the tests use it. */
export const postgresUrl = (): string => process.env['IFREG_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name of its own for one run (dropped after). */
export const freshSchema = (what: string): string => `bench_${what}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

/** Runs SQL on a short-lived connection. */
export async function sql(text: string): Promise<void> {
  const client = new Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export const dropSchema = (schema: string): Promise<void> => sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);

/** Why PostgreSQL cannot be used, or undefined when it answers. */
export async function postgresUnavailable(): Promise<string | undefined> {
  try {
    await sql('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The PostgreSQL adapter's events table, made with node-postgres alone in a new schema, and
 * the fastest plain insert of a batch into it (one INSERT … jsonb_array_elements): the raw
 * baselines of store-postgres and pipeline. Parameters: first position, stream, first
 * revision, the batch as JSON [{id, type, data, metadata}].
 */
export async function createRawEventsTable(client: Client, schema: string): Promise<{ table: string; insert: string }> {
  const table = `"${schema}".events`;
  await client.query(`CREATE SCHEMA "${schema}"; CREATE TABLE ${table} (
    position bigint PRIMARY KEY, stream text NOT NULL, revision integer NOT NULL, id text NOT NULL UNIQUE, type text NOT NULL,
    data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(), UNIQUE (stream, revision))`);
  const insert = `INSERT INTO ${table} (position, stream, revision, id, type, data, metadata)
    SELECT $1::bigint + o, $2, ($3::integer + o)::integer, d->>'id', d->>'type', d->'data', d->'metadata'
    FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS batch(d, o)`;
  return { table, insert };
}
