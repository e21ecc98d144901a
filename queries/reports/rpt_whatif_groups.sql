-- rpt_whatif_groups: the pricing groups of the current run on the edges one seller sells to
-- some buyers on, with the seller's cost of each, for data/whatif.py to price again with a
-- changed plan (docs/pricing.md §3: the group's amounts and the cost on the edge are all a
-- plan prices from).
-- Returns one row per (group, edge): x_BuyerId, x_CustomerId, the group key (ProviderName,
--   BillingAccountId, SubAccountId, InvoiceId, ServiceCategory, ServiceName, SkuId, RegionId,
--   ChargeCategory, ChargeClass, CommitmentDiscountStatus, x_Commitment, BillingCurrency,
--   x_CorrectsPeriod), x_RowCount, ListCost, ContractedCost, BilledCost, EffectiveCost, x_Cost
--   (what $org pays for the group, BillingCurrency), x_BuyerCurrency, x_FxRate (the period's
--   rate the run used, BillingCurrency → buyer currency); ordered by buyer and x_GroupId.
-- Parameters: $org VARCHAR (the seller); $buyers VARCHAR[]; $period DATE.
-- Scope rule: edges with x_SellerId = $org only: its own cost and its buyers' rows, never an edge
--   above or below it. Reads the current run; writes nothing.
WITH runs AS (
    SELECT run_id FROM rpt_current_runs WHERE x_Period = $period::DATE
),

edge_rows AS (
    SELECT l.*
    FROM fct_ledger l
    JOIN runs r ON r.run_id = l.run_id
    WHERE l.x_Period = $period::DATE
      AND l.x_SellerId = $org
      AND list_contains($buyers::VARCHAR[], l.x_BuyerId)
),

final AS (
    SELECT
        x_BuyerId, x_CustomerId, ProviderName, BillingAccountId, SubAccountId, InvoiceId,
        ServiceCategory, ServiceName, SkuId, RegionId, ChargeCategory, ChargeClass,
        CommitmentDiscountStatus, x_Commitment, BillingCurrency, x_CorrectsPeriod, x_RowCount,
        ListCost, ContractedCost, BilledCost, EffectiveCost, x_Cost, x_BuyerCurrency, x_FxRate,
        x_GroupId
    FROM edge_rows
)

SELECT * FROM final ORDER BY x_BuyerId, x_GroupId
