-- inv_credit_target: the issued invoices numbered $number (a credit note's target; numbers are
-- per seller, so two sellers with one prefix could share one).
-- Returns (invoice_id, x_Period, seller, buyer, currency, subtotal, tax_rate_pct, total, number).
-- Parameters: $number VARCHAR.
SELECT invoice_id, x_Period, seller, buyer, currency, subtotal, tax_rate_pct, total, number
FROM invoices
WHERE status = 'issued' AND number = $number
ORDER BY invoice_id;
