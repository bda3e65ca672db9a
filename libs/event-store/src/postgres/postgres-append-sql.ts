import type { StoreNames } from './postgres-schema';

/**
 * The append as one server-side function, so that a writer holds the store's lock for
 * the function and its commit only, not for client round trips.
 *
 * Why a lock at all: with a sequence, two transactions can take positions 7 and 8 and
 * commit as 8 then 7; a reader that saw 8 and moved on never reads 7 (Marten's skipped
 * events). Holding the lock until COMMIT hands out positions in commit order, so
 * `position > from` is all a reader needs, and taking max + 1 under it keeps positions
 * gap-free (a rollback burns nothing). The lock is its own statement: PL/pgSQL takes a
 * fresh snapshot per statement, so what follows sees the previous holder's commit.
 * The cost: appends to one store are serial, even to different streams, one commit
 * (WAL flush) at a time; batch events into few appends. Readers never take the lock.
 *
 * It inserts only when the batch is new and the expected revision (NULL: any) holds, and
 * answers what it read so that the caller can tell a redelivery and a conflict apart.
 * NOTIFY is queued only when something was inserted, and is delivered at commit.
 */
export function appendFunctionSql({ schema, table, lockCall }: StoreNames): string {
  return `
CREATE OR REPLACE FUNCTION "${schema}".append_events(p_stream text, p_expected integer, p_ids text[], p_events jsonb)
RETURNS TABLE (head_position bigint, stream_revision integer, stream_position bigint,
               found_count integer, found_position bigint, foreign_id text, foreign_stream text, inserted integer)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_recorded_at timestamptz;
BEGIN
  PERFORM ${lockCall};
  -- After the lock, so recorded_at grows with the position.
  v_recorded_at := clock_timestamp();
  SELECT coalesce(max(e.position), 0) INTO head_position FROM ${table} e;
  SELECT e.revision, e.position INTO stream_revision, stream_position
    FROM ${table} e WHERE e.stream = p_stream ORDER BY e.revision DESC LIMIT 1;
  SELECT count(*) FILTER (WHERE e.stream = p_stream),
         max(e.position) FILTER (WHERE e.stream = p_stream),
         (array_agg(e.id ORDER BY e.position) FILTER (WHERE e.stream <> p_stream))[1],
         (array_agg(e.stream ORDER BY e.position) FILTER (WHERE e.stream <> p_stream))[1]
    INTO found_count, found_position, foreign_id, foreign_stream
    FROM ${table} e WHERE e.id = ANY (p_ids);
  inserted := 0;
  IF found_count = 0 AND foreign_id IS NULL
     AND (p_expected IS NULL OR p_expected = coalesce(stream_revision, -1)) THEN
    INSERT INTO ${table} (position, stream, revision, id, type, data, metadata, recorded_at)
    SELECT head_position + b.ord, p_stream, (coalesce(stream_revision, -1) + b.ord)::integer,
           b.doc->>'id', b.doc->>'type', b.doc->'data', b.doc->'metadata', v_recorded_at
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS b(doc, ord);
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted > 0 THEN
      PERFORM pg_notify('${schema}.events', '');
    END IF;
  END IF;
  RETURN NEXT;
END
$fn$;`;
}
