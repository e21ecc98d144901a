-- fct_ledger_drop_run: a failed run leaves the ledger as it was: its own rows go.
-- Parameters: $run_id BIGINT.
DELETE FROM fct_ledger WHERE run_id = $run_id;
