-- inv_credited: what the credit notes of one invoice have credited so far, before tax.
-- Returns one DECIMAL(38,10) (0 when none). Parameters: $invoice_id BIGINT.
SELECT coalesce(sum(amount), CAST(0 AS DECIMAL(38, 10)))
FROM credit_notes
WHERE invoice_id = $invoice_id;
