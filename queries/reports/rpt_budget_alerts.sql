-- rpt_budget_alerts: the budget alerts raised for one customer, in one period or all, newest
-- first (budget_alerts, migration 017).
-- Returns: x_Period, customer, budget_key, threshold ('50' | '80' | '100' | 'forecast'),
--   raised_at, amount, actual, forecast, currency, emailed_to, emailed_at, email_error.
-- Parameters: $customer VARCHAR; $period DATE (NULL = every period).
-- Scope rule: the caller (queries.reports.budgets) checks the user may see the customer's edge.
SELECT x_Period, customer, budget_key, threshold, raised_at, amount, actual, forecast, currency,
       emailed_to, emailed_at, email_error
FROM budget_alerts
WHERE customer = $customer::VARCHAR
  AND ($period::DATE IS NULL OR x_Period = $period::DATE)
ORDER BY x_Period DESC, raised_at DESC, budget_key,
         CASE threshold WHEN 'forecast' THEN 4 WHEN '100' THEN 3 WHEN '80' THEN 2 ELSE 1 END DESC
