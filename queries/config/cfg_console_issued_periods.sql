-- cfg_console_issued_periods: the billing periods with at least one issued invoice; their FX rates
-- are locked (DOMAIN §4, storage._check_locked_rates), so the console shows them read-only.
-- Returns (x_Period DATE), oldest first. No parameters.
SELECT DISTINCT x_Period FROM invoices WHERE status = 'issued' ORDER BY x_Period
