-- Inserts one FX rate (one per currency pair per billing period). Returns nothing.
-- Parameters: period (first day of the month), from_ccy, to_ccy, rate (decimal text).
INSERT INTO cfg_fx_rates (period, from_ccy, to_ccy, rate)
VALUES (CAST(? AS DATE), ?, ?, CAST(? AS DECIMAL(20,10)));
