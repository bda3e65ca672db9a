import { appendFunctionSql } from './postgres-append-sql';

/**
 * Names and DDL of one store: a PostgreSQL schema holding an `events` table. Several
 * stores (tests, tenants) can share a database, each in its own schema.
 */

// A plain identifier, short enough that `"<schema>.events"` still fits NAMEDATALEN (63 bytes).
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,55}$/;

/** First key of the two-key advisory lock every writer of a store takes ("ifrg"). */
const LOCK_NAMESPACE = 0x69667267;

export interface StoreNames {
  readonly schema: string;
  /** `"schema".events`, ready to splice into SQL. */
  readonly table: string;
  /** The LISTEN/NOTIFY channel, quoted. */
  readonly channel: string;
  /** The call that takes the store's append lock until the end of the transaction. */
  readonly lockCall: string;
  /** The same as a statement. */
  readonly lock: string;
}

export function storeNames(schema: string): StoreNames {
  if (!IDENTIFIER.test(schema)) throw new RangeError(`schema must match ${String(IDENTIFIER)}, got ${JSON.stringify(schema)}`);
  // hashtext() of the schema: stores in other schemas do not wait for each other
  // (a collision would only serialise two stores more than needed).
  const lockCall = `pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext('${schema}'))`;
  return { schema, table: `"${schema}".events`, channel: `"${schema}.events"`, lockCall, lock: `SELECT ${lockCall}` };
}

/**
 * Creates what is missing and (re)defines the append function, under the append lock so
 * that processes starting together do not race.
 * `position` is assigned by the append itself (max + 1 under the append lock), not by a
 * sequence: a rolled-back transaction would burn sequence values and leave gaps.
 * `tx` records the writing transaction; under the lock it grows with the position, which
 * makes the commit order checkable after the fact.
 */
export function schemaSql(names: StoreNames): string {
  const { schema, table, lock } = names;
  return `
BEGIN;
${lock};
CREATE SCHEMA IF NOT EXISTS "${schema}";
CREATE TABLE IF NOT EXISTS ${table} (
  position    bigint      PRIMARY KEY,
  stream      text        NOT NULL,
  revision    integer     NOT NULL,
  id          text        NOT NULL,
  type        text        NOT NULL,
  data        jsonb       NOT NULL,
  metadata    jsonb       NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  tx          xid8        NOT NULL DEFAULT pg_current_xact_id(),
  CONSTRAINT events_id_key UNIQUE (id),
  CONSTRAINT events_stream_revision_key UNIQUE (stream, revision)
);
${appendFunctionSql(names)}
COMMIT;`;
}
