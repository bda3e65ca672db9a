import { appendFunctionSql, appendGroupFunctionSql, readFunctionSql } from './postgres-append-sql';

/**
 * Names and DDL of one store: a PostgreSQL schema holding an `events` table. Several
 * stores (tests, tenants) can share a database, each in its own schema.
 */

// A plain identifier, short enough that `"<schema>.events"` still fits NAMEDATALEN (63 bytes).
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,55}$/;

/** First key of the two-key advisory lock taken while the schema is created or upgraded ("ifrg"). */
const LOCK_NAMESPACE = 0x69667267;

export interface StoreNames {
  readonly schema: string;
  /** `"schema".events`, ready to splice into SQL. */
  readonly table: string;
  /** The sequence positions come from, quoted. */
  readonly sequence: string;
  /** The LISTEN/NOTIFY channel, quoted. */
  readonly channel: string;
  /** Taken by start-ups only (schema creation and upgrade), until the end of their transaction. */
  readonly lock: string;
}

export function storeNames(schema: string): StoreNames {
  if (!IDENTIFIER.test(schema)) throw new RangeError(`schema must match ${String(IDENTIFIER)}, got ${JSON.stringify(schema)}`);
  // hashtext() of the schema: stores in other schemas do not wait for each other.
  const lock = `SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext('${schema}'))`;
  return { schema, table: `"${schema}".events`, sequence: `"${schema}".events_position`, channel: `"${schema}.events"`, lock };
}

/**
 * Creates what is missing, upgrades a store written by an earlier version in place, and
 * (re)defines the functions, under a lock so that processes starting together do not race.
 *
 * `position` comes from a sequence (see postgres-append-sql.ts for how readers avoid
 * skipping a late commit). The upgrade: stores made before had positions handed out as
 * max + 1 under a store-wide lock and no sequence; the sequence is created and started
 * after the highest position, once. Writers of the earlier version must be stopped first:
 * they would still take max + 1.
 */
export function schemaSql(names: StoreNames): string {
  const { schema, table, sequence, lock } = names;
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
DO $upgrade$
BEGIN
  IF to_regclass('${sequence}') IS NULL THEN
    CREATE SEQUENCE ${sequence} AS bigint MINVALUE 1 OWNED BY ${table}.position;
    PERFORM setval('${sequence}', max(position)) FROM ${table} HAVING max(position) IS NOT NULL;
  END IF;
END
$upgrade$;
DROP FUNCTION IF EXISTS "${schema}".append_group(text[], integer[], jsonb);
DROP FUNCTION IF EXISTS "${schema}".append_events(text, integer, text[], jsonb);
${appendFunctionSql(names)}
${appendGroupFunctionSql(names)}
${readFunctionSql(names)}
COMMIT;`;
}
