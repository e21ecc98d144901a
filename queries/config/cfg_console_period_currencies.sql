-- cfg_console_period_currencies: the BillingCurrency values of the rows landed for a period
-- (active delivery slices only: a replaced delivery's rows are gone), with their row counts.
-- Returns (BillingCurrency VARCHAR, rows BIGINT). Parameters: $period DATE.
SELECT BillingCurrency, sum(row_count)::BIGINT AS rows
FROM delivery_slices
WHERE x_Period = $period::DATE AND status = 'active'
GROUP BY BillingCurrency
ORDER BY BillingCurrency
