-- inv_credit_drafts: the current draft invoices (rpt_current_invoices, migration 013), so that
-- a credit note asked against a draft's document name ('draft-2026-05-msp-one-contoso') is
-- refused as a draft rather than as an unknown number.
-- Returns (invoice_id, x_Period, seller, buyer). No parameters.
SELECT invoice_id, x_Period, seller, buyer
FROM rpt_current_invoices
WHERE status = 'draft'
ORDER BY invoice_id;
