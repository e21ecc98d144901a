-- run_problems: what a run could not price, per kind, buyer and reason.
-- Returns (kind, x_BuyerId, detail, rows, billed_cost, BillingCurrency). Parameters: $run_id BIGINT.
SELECT kind, x_BuyerId, detail, sum(x_RowCount) AS rows, sum(BilledCost) AS billed_cost, BillingCurrency
FROM fct_exceptions
WHERE run_id = $run_id AND kind <> 'unassigned'
GROUP BY ALL
ORDER BY kind, x_BuyerId, detail;
