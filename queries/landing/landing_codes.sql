-- landing_codes: the distinct (ChargeCategory, BillingCurrency, PricingCurrency) combinations
-- loaded for one delivery, so the caller can check them against the allowed charge categories and
-- ISO 4217 codes without a per-row list lookup. Parameters: $ingest_id BIGINT.
SELECT DISTINCT ChargeCategory, BillingCurrency, PricingCurrency
FROM landing_focus
WHERE x_IngestId = $ingest_id
