import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
// The lead's private-instance helper (initdb in a temp dir, restartable); test support, not exported by the package.
export { PrivatePostgres, privateServerUnavailable } from '@ifreg/testing';

/** A schema name of its own for one scenario. */
export const freshSchema = (what: string): string => `faults_${what}_${randomUUID().replaceAll('-', '').slice(0, 10)}`;

/** Runs SQL on a short-lived connection straight to the server (never through a fault proxy). */
export async function sql<T extends Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  // A server restart mid-query also emits 'error' on the client: unhandled, it failed the
  // whole test file (once in 5 CI runs); the query's own rejection says all there is.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}
