-- run_later_open_periods: billed periods after $period that still have draft invoices: they are
-- re-priced after a change to $period so that corrections reach the next invoice.
-- Returns (x_Period) sorted. Parameters: $period DATE.
SELECT DISTINCT x_Period FROM invoices WHERE status = 'draft' AND x_Period > $period ORDER BY x_Period;
