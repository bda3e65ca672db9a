import type { StoreNames } from './postgres-schema';

/**
 * Positions and the reader's fence. Positions come from a sequence, so appends to
 * different streams do not wait for each other (one advisory lock per stream makes each
 * stream's revision check and insert atomic). A sequence alone lets a reader skip: two
 * transactions take 7 and 8 and commit as 8 then 7; a reader that read 8 never reads 7.
 *
 * So a writer announces itself before it takes positions: it holds, until it ends, a shared
 * advisory lock whose key is the highest position handed out before its own (every position
 * it takes is above it). A reader reads only up to its fence: the lowest such key among the
 * locks held now, else the sequence's last value, read in that order (the sequence first, so
 * that a writer that took a position below it is already visible in pg_locks), and reads the
 * rows in a later statement, with a later snapshot. Below the fence nothing can still commit.
 * A long writing transaction holds readers at its key until it ends; it never makes them skip.
 *
 * The key is one 64-bit advisory key: 16 bits from the schema's hash above 47 bits of
 * position (the same bits of two schemas only make a reader wait for the other's writers).
 */
const KEY_BITS = 47;

const schemaBits = (schema: string): string => `(hashtext('${schema}') & 65535)::bigint`;

/**
 * The append as one server-side function: one round trip, and the stream's lock held for the
 * function and its commit only. It inserts only when the batch is new and the expected
 * revision (NULL: any) holds, and answers what it read so that the caller can tell a
 * redelivery and a conflict apart. NOTIFY is queued only when something was inserted.
 * Custom plans: a generic plan of these statements made appends slower as the table grew.
 */
export function appendFunctionSql({ schema, table, sequence }: StoreNames): string {
  return `
CREATE FUNCTION "${schema}".append_events(p_stream text, p_expected integer, p_ids text[], p_events jsonb)
RETURNS TABLE (stream_revision integer, stream_position bigint, found_count integer, found_position bigint,
               foreign_id text, foreign_stream text, inserted integer, last_position bigint)
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $fn$
DECLARE
  v_recorded_at timestamptz;
  v_taken bigint;
  v_positions bigint[];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('${schema}'), hashtext(p_stream));
  v_recorded_at := clock_timestamp();
  SELECT e.revision, e.position INTO stream_revision, stream_position
    FROM ${table} e WHERE e.stream = p_stream ORDER BY e.revision DESC LIMIT 1;
  SELECT count(*) FILTER (WHERE e.stream = p_stream),
         max(e.position) FILTER (WHERE e.stream = p_stream),
         (array_agg(e.id ORDER BY e.position) FILTER (WHERE e.stream <> p_stream))[1],
         (array_agg(e.stream ORDER BY e.position) FILTER (WHERE e.stream <> p_stream))[1]
    INTO found_count, found_position, foreign_id, foreign_stream
    FROM ${table} e WHERE e.id = ANY (p_ids);
  inserted := 0;
  IF found_count = 0 AND foreign_id IS NULL AND jsonb_array_length(p_events) > 0
     AND (p_expected IS NULL OR p_expected = coalesce(stream_revision, -1)) THEN
    SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END INTO v_taken FROM ${sequence} s;
    PERFORM pg_advisory_xact_lock_shared((${schemaBits(schema)} << ${KEY_BITS}) | v_taken);
    SELECT array_agg(p ORDER BY p) INTO v_positions
      FROM (SELECT nextval('${sequence}') AS p FROM generate_series(1, jsonb_array_length(p_events))) taken;
    INSERT INTO ${table} (position, stream, revision, id, type, data, metadata, recorded_at)
    SELECT v_positions[b.ord], p_stream, (coalesce(stream_revision, -1) + b.ord)::integer,
           b.doc->>'id', b.doc->>'type', b.doc->'data', b.doc->'metadata', v_recorded_at
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS b(doc, ord);
    GET DIAGNOSTICS inserted = ROW_COUNT;
    last_position := v_positions[inserted];
    PERFORM pg_notify('${schema}.events', '');
  END IF;
  RETURN NEXT;
END
$fn$;`;
}

/**
 * A group of appends as one statement: one round trip and one transaction (one WAL flush),
 * each append as append_events does it, answered in the caller's order. The streams' locks
 * are taken first, in the order of their keys, so that two groups sharing streams wait for
 * each other instead of deadlocking.
 */
export function appendGroupFunctionSql({ schema }: StoreNames): string {
  return `
CREATE FUNCTION "${schema}".append_group(p_streams text[], p_expected integer[], p_batches jsonb)
RETURNS TABLE (stream_revision integer, stream_position bigint, found_count integer, found_position bigint,
               foreign_id text, foreign_stream text, inserted integer, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_key integer;
BEGIN
  FOR v_key IN SELECT DISTINCT hashtext(s) AS k FROM unnest(p_streams) s ORDER BY k LOOP
    PERFORM pg_advisory_xact_lock(hashtext('${schema}'), v_key);
  END LOOP;
  FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
    RETURN QUERY SELECT * FROM "${schema}".append_events(p_streams[i], p_expected[i],
      ARRAY(SELECT b->>'id' FROM jsonb_array_elements(p_batches->(i - 1)) b), p_batches->(i - 1));
  END LOOP;
END
$fn$;`;
}

/** readAll on the server: the fence, then the rows below it (see above). */
export function readFunctionSql({ schema, table, sequence }: StoreNames): string {
  return `
CREATE OR REPLACE FUNCTION "${schema}".read_events(p_from bigint, p_limit integer)
RETURNS SETOF ${table}
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_custom_plan AS $fn$
DECLARE
  v_fence bigint;
  v_in_flight bigint;
BEGIN
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END INTO v_fence FROM ${sequence} s;
  -- Nothing handed out after p_from: no row can qualify, and a caught-up reader skips the pg_locks scan.
  IF v_fence <= p_from THEN
    RETURN;
  END IF;
  SELECT min(((l.classid::bigint << 32) | l.objid::bigint) & ((1::bigint << ${KEY_BITS}) - 1)) INTO v_in_flight
    FROM pg_locks l
   WHERE l.locktype = 'advisory' AND l.objsubid = 1
     AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
     AND (l.classid::bigint >> ${KEY_BITS - 32}) = ${schemaBits(schema)};
  IF v_in_flight IS NOT NULL AND v_in_flight < v_fence THEN
    v_fence := v_in_flight;
  END IF;
  RETURN QUERY SELECT * FROM ${table} e WHERE e.position > p_from AND e.position <= v_fence ORDER BY e.position LIMIT p_limit;
END
$fn$;`;
}
