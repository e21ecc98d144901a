-- inv_delete_draft_lines: removes the lines of the period's draft invoices (replaced by a run).
-- Parameters: $period DATE.
DELETE FROM invoice_lines
WHERE invoice_id IN (SELECT invoice_id FROM invoices WHERE x_Period = $period AND status = 'draft');
