-- cfg_budget_alert_insert: raises one budget alert unless it was raised before: the primary key
-- (period, customer, budget, threshold) makes each alert happen once per month (migration 017).
-- Returns the row inserted (x_Period, customer, budget_key, threshold), or nothing when the alert
-- already existed.
-- Parameters: $period DATE, $customer, $budget_key, $threshold VARCHAR, $amount, $actual
--   (decimal text), $forecast (decimal text or NULL), $currency VARCHAR.
INSERT INTO budget_alerts (x_Period, customer, budget_key, threshold, raised_at, amount, actual,
                           forecast, currency)
VALUES ($period::DATE, $customer, $budget_key, $threshold, now()::TIMESTAMP,
        CAST($amount AS DECIMAL(38,10)), CAST($actual AS DECIMAL(38,10)),
        CAST($forecast AS DECIMAL(38,10)), $currency)
ON CONFLICT DO NOTHING
RETURNING x_Period, customer, budget_key, threshold
