-- cfg_locked_fx_rates: the FX rates of periods with issued invoices; they are locked (DOMAIN §4,
-- §7) and a new configuration may not change or drop them.
-- Returns (period, from_ccy, to_ccy, rate). No parameters.
SELECT f.period, f.from_ccy, f.to_ccy, f.rate
FROM cfg_fx_rates f
WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.x_Period = f.period AND i.status = 'issued')
ORDER BY f.period, f.from_ccy, f.to_ccy;
