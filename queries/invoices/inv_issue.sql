-- inv_issue: turns one draft invoice into an issued one with its number. Issued invoices are
-- never updated again (every other statement touching invoices filters on status = 'draft').
-- Parameters: $invoice_id BIGINT, $number VARCHAR, $issued_by VARCHAR.
UPDATE invoices
SET status = 'issued', number = $number, issued_at = now()::TIMESTAMP, issued_by = $issued_by
WHERE invoice_id = $invoice_id AND status = 'draft';
