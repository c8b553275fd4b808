-- A source's query read through a server-side cursor in a read-only transaction.
-- {{query}} is the caller's query (its $1… parameters pass through), {{count}} the batch size.

-- name: begin
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY

-- name: declare
DECLARE seamline_reconcile_cursor NO SCROLL CURSOR FOR {{query}}

-- name: fetch
FETCH FORWARD {{count}} FROM seamline_reconcile_cursor

-- name: close
CLOSE seamline_reconcile_cursor

-- name: commit
COMMIT

-- name: rollback
ROLLBACK

-- name: lookup
SELECT * FROM ({{query}}) AS seamline_source WHERE {{key}}::text = ANY(${{next}}::text[])

-- name: bounds
SELECT min({{key}})::text AS lo, max({{key}})::text AS hi FROM ({{query}}) AS seamline_source

-- name: summary
SELECT count(*)::text AS n,
       coalesce(sum(('x' || left(md5(concat_ws(',', {{columns}})), 15))::bit(60)::bigint), 0)::text
         AS digest
  FROM ({{query}}) AS seamline_source
 WHERE {{key}} >= ${{lo}} AND {{key}} < ${{hi}}

-- name: range
SELECT * FROM ({{query}}) AS seamline_source
 WHERE {{key}} >= ${{lo}} AND {{key}} < ${{hi}}
 ORDER BY {{key}}
