-- rpt_portal_freshness: how fresh one buyer's month is, per provider: the latest charge day
-- loaded for the billing accounts the buyer's month comes from, and when the latest delivery of
-- them arrived ("AWS through 30 Nov, loaded 1 Dec 06:10 UTC"; docs/portal.md).
-- Returns one row per ProviderName: ProviderName, x_Through (DATE: the latest ChargePeriodStart
--   day of the period's rows of those accounts, kept per delivery slice: migration 025),
--   x_LoadedAt (TIMESTAMP, UTC: the latest loaded_at of the active deliveries holding them).
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge); $customers VARCHAR[]
--   (NULL = every end customer on the edge).
-- Scope rule: the billing accounts of the edge x_SellerId = $seller, x_BuyerId = $buyer in the
--   period's current run; queries.scope checks the user may see it. Reads dates and load times
--   only: no amount, no row of anyone else leaves this statement.
WITH runs AS (
    SELECT run_id FROM rpt_current_runs WHERE x_Period = $period::DATE
),

accounts AS (
    SELECT DISTINCT l.ProviderName, l.BillingAccountId
    FROM fct_ledger l
    JOIN runs r ON r.run_id = l.run_id
    WHERE l.x_Period = $period::DATE
      AND l.x_SellerId = $seller
      AND l.x_BuyerId = $buyer
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], l.x_CustomerId))
),

slices AS (   -- the active deliveries of those accounts: latest charge start and arrival
    SELECT s.ProviderName, s.x_Through, d.loaded_at
    FROM delivery_slices s
    JOIN deliveries d ON d.x_IngestId = s.x_IngestId
    JOIN accounts a ON a.ProviderName = s.ProviderName AND a.BillingAccountId = s.BillingAccountId
    WHERE s.x_Period = $period::DATE AND s.status = 'active'
),

final AS (
    SELECT ProviderName, max(x_Through)::DATE AS x_Through, max(loaded_at) AS x_LoadedAt
    FROM slices
    GROUP BY ProviderName
)

SELECT * FROM final ORDER BY ProviderName
