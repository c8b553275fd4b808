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
