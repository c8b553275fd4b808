-- Statements around a source's own query. {{query}} is the caller's query, {{key}} the quoted
-- key column, {{columns}} its quoted result columns; ? are the caller's parameters, then ours.

-- name: lookup
SELECT * FROM ({{query}}) WHERE {{key}} IN (SELECT value FROM json_each(?))

-- name: bounds
SELECT min({{key}}) AS lo, max({{key}}) AS hi FROM ({{query}})

-- name: summary
SELECT count(*) AS n, seamline_reconcile_digest({{columns}}) AS digest
FROM ({{query}}) WHERE {{key}} >= ? AND {{key}} < ?

-- name: range
SELECT * FROM ({{query}}) WHERE {{key}} >= ? AND {{key}} < ? ORDER BY {{key}}
