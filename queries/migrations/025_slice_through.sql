-- Migration 025: each delivery slice keeps the latest charge start it loaded (x_Through), so
-- the portal's freshness stamp ("AWS through 30 Nov, loaded 1 Dec 06:10 UTC", docs/portal.md)
-- reads a few slice rows instead of scanning the month's landed rows of the customer's billing
-- accounts (which a payer account shares with every other customer under it).
-- deliveries_slices_insert fills it at ingest; slices already stored get it from their rows.
ALTER TABLE delivery_slices ADD COLUMN x_Through TIMESTAMP;

UPDATE delivery_slices AS s
SET x_Through = f.x_Through
FROM (
    SELECT x_IngestId, ProviderName, BillingAccountId, x_Period, BillingCurrency,
           max(ChargePeriodStart) AS x_Through
    FROM landing_focus
    GROUP BY x_IngestId, ProviderName, BillingAccountId, x_Period, BillingCurrency
) AS f
WHERE f.x_IngestId = s.x_IngestId
  AND f.ProviderName = s.ProviderName
  AND f.BillingAccountId = s.BillingAccountId
  AND f.x_Period = s.x_Period
  AND f.BillingCurrency = s.BillingCurrency;
