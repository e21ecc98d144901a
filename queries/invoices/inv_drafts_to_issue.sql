-- inv_drafts_to_issue: the period's draft invoices, optionally of one seller, in issuing order.
-- Returns (invoice_id, seller, buyer, total, currency). Parameters: $period DATE, $seller VARCHAR (NULL = all).
SELECT invoice_id, seller, buyer, total, currency
FROM invoices
WHERE x_Period = $period AND status = 'draft' AND ($seller IS NULL OR seller = $seller)
ORDER BY seller, buyer;
