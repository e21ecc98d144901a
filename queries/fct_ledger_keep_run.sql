-- fct_ledger_keep_run: a successful run replaces the period's ledger: every other run's rows of
-- the period go (the ledger holds the latest successful run per period).
-- Parameters: $run_id BIGINT, $period DATE.
DELETE FROM fct_ledger WHERE x_Period = $period AND run_id <> $run_id;
