-- inv_insert_invoices: stores draft invoice headers assembled by pricing.invoice from the
-- registered Arrow table `new_invoices` (same columns as invoices). No parameters.
INSERT INTO invoices SELECT * FROM new_invoices;
