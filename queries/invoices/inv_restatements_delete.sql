-- inv_restatements_delete: forgets the period's restatements before a run records its own.
-- Parameters: $period DATE.
DELETE FROM invoice_restatements WHERE x_Period = $period;
