-- fct_groups_drop_run: a failed run leaves the ledger as it was: its own pricing groups go (with
-- fct_prices_drop_run). Returns the number of rows deleted. Parameters: $run_id BIGINT.
DELETE FROM fct_groups WHERE run_id = $run_id;
