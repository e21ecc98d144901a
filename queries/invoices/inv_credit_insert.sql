-- inv_credit_insert: one issued credit note (migration 014), never updated afterwards.
-- Returns (credit_note_id, issued_at) of the new row.
-- Parameters: $number, $seller, $buyer VARCHAR; $invoice_id BIGINT; $period DATE; $currency
--   VARCHAR; $amount, $tax, $total (strings of exact decimals); $tax_rate_pct DECIMAL;
--   $reason, $issued_by VARCHAR.
INSERT INTO credit_notes (credit_note_id, number, seller, buyer, invoice_id, x_Period, currency, amount,
                          tax_rate_pct, tax, total, reason, issued_at, issued_by)
SELECT
    coalesce((SELECT max(credit_note_id) FROM credit_notes), 0) + 1,
    $number,
    $seller,
    $buyer,
    $invoice_id,
    $period::DATE,
    $currency,
    $amount::DECIMAL(38, 10),
    $tax_rate_pct::DECIMAL(9, 4),
    $tax::DECIMAL(38, 10),
    $total::DECIMAL(38, 10),
    $reason,
    now()::TIMESTAMP,
    $issued_by
RETURNING credit_note_id, issued_at;
