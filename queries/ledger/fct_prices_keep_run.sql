-- fct_prices_keep_run: a successful run replaces the period's ledger: every other run's edge
-- prices of the period go (with fct_groups_keep_run; the ledger holds the latest successful
-- run per period). Returns the number of rows deleted. Parameters: $run_id BIGINT, $period DATE.
DELETE FROM fct_prices WHERE x_Period = $period AND run_id <> $run_id;
