-- fct_accounts_drop_run: a failed run leaves the ledger as it was: its own account decisions go
-- (with fct_groups_drop_run). Returns the number of rows deleted. Parameters: $run_id BIGINT.
DELETE FROM fct_accounts WHERE run_id = $run_id;
