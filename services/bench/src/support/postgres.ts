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
