-- fct_groups_keep_run: a successful run replaces the period's ledger: every other run's pricing
-- groups of the period go (with fct_prices_keep_run). Returns the number of rows deleted.
-- Parameters: $run_id BIGINT, $period DATE.
DELETE FROM fct_groups WHERE x_Period = $period AND run_id <> $run_id;
