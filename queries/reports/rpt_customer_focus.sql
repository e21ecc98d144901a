-- rpt_customer_focus: the FOCUS rows of one buyer's edge as the buyer's own FOCUS export reads them
-- (data/focus_export.py, docs/focus-export.md): one row per landed FOCUS row, with every FOCUS
-- column landing keeps EXCEPT the provider's cost columns, plus what the caller needs to give the
-- row its share of its pricing group's price (docs/pricing.md §8) and to find its invoice line.
-- The rows reach a group through rpt_edge_rows (migration 021), as in rpt_customer_rows (the run's
-- accounts, tag keys, day cut and stored basis decision), so the shares add up to the run's
-- ledger; the caller divides in Decimal.
-- Tax rows and retained credits are not the buyer's charges and are left out.
-- Returns: x_GroupId, x_Rid, the landed FOCUS columns (data/focus.py CANONICAL_COLUMNS) without
--   BilledCost, EffectiveCost, ContractedCost, ContractedUnitPrice (the provider's charge: the
--   seller's cost), x_Treatment (priced | passed_credit | adjustment), x_FxRate (provider
--   BillingCurrency → buyer currency, as the run priced the group), x_RowBasis, x_PriceBuyer,
--   x_GroupBasis, x_GroupRows, x_BuyerCurrency, x_CorrectsPeriod (the month the row's group
--   corrects, its invoice line names it; NULL but for provider corrections); ordered by
--   ChargePeriodStart, ProviderName, ServiceName, ResourceId, x_Rid.
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge); $customers VARCHAR[]
--   (NULL = every end customer on the edge).
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer of the period's current run;
--   queries.reports.costs.customer_focus_rows checks the user may see the whole edge first.
WITH edge_rows AS (
    SELECT *
    FROM rpt_edge_rows($period::DATE, $seller::VARCHAR, $buyer::VARCHAR, $customers::VARCHAR[],
                       NULL::VARCHAR, NULL::VARCHAR, false)
),

final AS (
    SELECT
        * EXCLUDE (BilledCost, EffectiveCost, ContractedCost, ContractedUnitPrice, x_Commitment,
                   x_CustomerId, x_Day),
        sum(x_RowBasis) OVER (PARTITION BY x_GroupId) AS x_GroupBasis,
        count(*) OVER (PARTITION BY x_GroupId) AS x_GroupRows
    FROM edge_rows
)

SELECT * FROM final
ORDER BY ChargePeriodStart, ProviderName, ServiceName, ResourceId, x_Rid
