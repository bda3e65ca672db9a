import type { Pool } from 'pg';

/**
 * A store as the version before opaque positions made it (positions max + 1 under a
 * store-wide advisory lock, no sequence), for the in-place upgrade test: its DDL and
 * append function as they were, abridged to what the upgrade meets.
 */
export async function createV1Store(pool: Pool, schema: string): Promise<void> {
  const table = `"${schema}".events`;
  await pool.query(`
CREATE SCHEMA "${schema}";
CREATE TABLE ${table} (
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
CREATE FUNCTION "${schema}".append_events(p_stream text, p_expected integer, p_ids text[], p_events jsonb)
RETURNS TABLE (head_position bigint, stream_revision integer, stream_position bigint,
               found_count integer, found_position bigint, foreign_id text, foreign_stream text, inserted integer)
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(${0x69667267}, hashtext('${schema}'));
  SELECT coalesce(max(e.position), 0) INTO head_position FROM ${table} e;
  SELECT e.revision, e.position INTO stream_revision, stream_position
    FROM ${table} e WHERE e.stream = p_stream ORDER BY e.revision DESC LIMIT 1;
  INSERT INTO ${table} (position, stream, revision, id, type, data, metadata)
  SELECT head_position + b.ord, p_stream, (coalesce(stream_revision, -1) + b.ord)::integer,
         b.doc->>'id', b.doc->>'type', b.doc->'data', b.doc->'metadata'
  FROM jsonb_array_elements(p_events) WITH ORDINALITY AS b(doc, ord);
  GET DIAGNOSTICS inserted = ROW_COUNT;
  RETURN NEXT;
END
$fn$;`);
}

/** One append through the v1 function, as the v1 adapter made it. */
export async function appendV1(pool: Pool, schema: string, stream: string, ids: readonly string[]): Promise<void> {
  const events = ids.map((id) => ({ id, type: 'Tested', data: { id }, metadata: {} }));
  await pool.query(`SELECT * FROM "${schema}".append_events($1, NULL, $2, $3)`, [stream, ids, JSON.stringify(events)]);
}
