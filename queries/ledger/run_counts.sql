-- run_counts: row counts of a run's exceptions by kind. Returns (kind, rows, billed_cost, currency).
-- Parameters: $run_id BIGINT.
SELECT kind, sum(x_RowCount) AS rows, sum(BilledCost) AS billed_cost, BillingCurrency
FROM fct_exceptions WHERE run_id = $run_id GROUP BY kind, BillingCurrency ORDER BY kind, BillingCurrency;
