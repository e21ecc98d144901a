-- inv_delivery_insert: records one attempt to e-mail an issued invoice (data/delivery.py).
-- Returns nothing. Parameters: $invoice_id BIGINT, $number VARCHAR, $sent_to VARCHAR,
--   $sent_by VARCHAR, $status VARCHAR ('sent' | 'failed'), $error VARCHAR (NULL when sent).
-- Scope rule: none (a write); the caller sends only invoices its scope may see and sell.
INSERT INTO invoice_deliveries (invoice_id, number, sent_at, sent_to, sent_by, status, error)
VALUES ($invoice_id, $number, now()::TIMESTAMP, $sent_to, $sent_by, $status, $error)
