-- cfg_console_landed_periods: the billing periods with landed rows (active delivery slices),
-- newest first: the FX console offers these beside the periods the document already has rates for.
-- Returns (x_Period DATE). No parameters.
SELECT DISTINCT x_Period FROM delivery_slices WHERE status = 'active' ORDER BY x_Period DESC
