-- inv_insert_lines: stores draft invoice lines from the registered Arrow table `new_lines`
-- (same columns as invoice_lines). No parameters.
INSERT INTO invoice_lines SELECT * FROM new_lines;
