-- inv_next_ids: the next free invoice id. Returns one BIGINT. No parameters.
SELECT coalesce(max(invoice_id), 0) + 1 FROM invoices;
