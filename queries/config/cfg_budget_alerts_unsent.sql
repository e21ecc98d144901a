-- cfg_budget_alerts_unsent: the alerts of one customer and period not e-mailed yet (what the next
-- message to its billing contact carries). Returns budget_key, threshold, amount, actual,
-- forecast, currency, ordered by budget and threshold.
-- Parameters: $period DATE, $customer VARCHAR.
SELECT budget_key, threshold, amount, actual, forecast, currency
FROM budget_alerts
WHERE x_Period = $period::DATE AND customer = $customer AND emailed_at IS NULL
ORDER BY budget_key, CASE threshold WHEN '50' THEN 1 WHEN '80' THEN 2 WHEN '100' THEN 3 ELSE 4 END
