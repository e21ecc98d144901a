-- inv_delivery_last_sent: the latest successful delivery of one invoice, if any.
-- Returns at most one row: sent_at TIMESTAMP, sent_to VARCHAR, sent_by VARCHAR.
-- Parameters: $invoice_id BIGINT.
-- Scope rule: none; the caller (data/delivery.py) passes only invoice ids its scope returned.
WITH sent AS (
    SELECT sent_at, sent_to, sent_by
    FROM invoice_deliveries
    WHERE invoice_id = $invoice_id AND status = 'sent'
),
final AS (
    SELECT * FROM sent ORDER BY sent_at DESC LIMIT 1
)
SELECT * FROM final
