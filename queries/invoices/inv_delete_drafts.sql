-- inv_delete_drafts: removes the period's draft invoices (replaced by a run). Parameters: $period DATE.
DELETE FROM invoices WHERE x_Period = $period AND status = 'draft';
