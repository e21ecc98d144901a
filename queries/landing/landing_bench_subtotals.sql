-- landing_bench_subtotals: for bench/baselines.py, the draft invoices of a period as the billing
-- run left them, to compare with the homegrown pipelines' subtotals.
-- Returns (seller, buyer, currency, subtotal DECIMAL(38,10)), one row per draft invoice.
-- Parameters: $period DATE.
SELECT seller, buyer, currency, subtotal
FROM invoices
WHERE x_Period = $period AND status = 'draft'
ORDER BY seller, buyer
