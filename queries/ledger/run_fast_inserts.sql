-- run_fast_inserts: a billing run's temporary tables and ledger rows need no particular order
-- (every read says ORDER BY), so let DuckDB materialise them in parallel. No parameters.
SET preserve_insertion_order = FALSE;
