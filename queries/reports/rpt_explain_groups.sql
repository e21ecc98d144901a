-- rpt_explain_groups: why one buyer's price is what it is, as the billing run DECIDED it: one row
-- per pricing group of the period's current run on the edge ($seller → $buyer), with the stored
-- decision (fct_prices: plan, rule number, basis, basis code, factor, tier factor, FX rate) and
-- the buyer's price before and after tiers. Nothing here is decided again from today's
-- configuration (docs/pricing.md §3–§6, "Why this price" in docs/pricing.md).
-- Returns: run_id, config_version (the configuration the run priced with), x_GroupId,
--   ProviderName, ServiceCategory, ServiceName, SkuId, RegionId, SubAccountId, ChargeCategory,
--   ChargeClass, CommitmentDiscountStatus, x_Commitment, x_CorrectsPeriod, x_RowCount,
--   BillingCurrency, x_Treatment, x_PlanId, x_RuleNo, x_Basis, x_BasisCode, x_ShareFrac,
--   x_BasisAmount (NULL unless shown, see below), x_Factor, x_PricePreTier, x_TierFactor, x_Price,
--   x_FxRate, x_BuyerCurrency, x_PriceBuyer.
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge); $customers VARCHAR[]
--   (NULL = every end customer on the edge); filters, NULL = all: $group_id BIGINT, $provider,
--   $service, $sku, $region, $sub_account VARCHAR; $limit BIGINT (NULL = all);
--   $show_list BOOLEAN: the basis amount of a list / contracted / effective basis (provider
--   prices: usage of the user's subtree, never shown to a customer's users);
--   $show_cost BOOLEAN: the basis amount of a cost-plus rule, a passed credit or an adjustment
--   (the seller's own cost: only when the user's organisation is the seller).
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer (end customers in $customers)
--   of the period's current run; queries.reports.explain checks the user may see it. Never a
--   seller's cost column (x_Cost, x_CostSeller, BilledCost, EffectiveCost), never another edge.
--   Retained credits are the seller's, not the buyer's: not in it.
WITH runs AS (
    SELECT r.run_id, b.config_version
    FROM rpt_current_runs r
    JOIN billing_runs b ON b.run_id = r.run_id
    WHERE r.x_Period = $period::DATE
),

ledger AS (
    SELECT l.*, r.config_version
    FROM fct_ledger l
    JOIN runs r ON r.run_id = l.run_id
    WHERE l.x_Period = $period::DATE
),

target AS (
    SELECT *
    FROM ledger
    WHERE x_SellerId = $seller
      AND x_BuyerId = $buyer
      AND x_Treatment <> 'retained_credit'
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], x_CustomerId))
      AND ($group_id::BIGINT IS NULL OR x_GroupId = $group_id::BIGINT)
      AND ($provider::VARCHAR IS NULL OR ProviderName = $provider::VARCHAR)
      AND ($service::VARCHAR IS NULL OR ServiceName = $service::VARCHAR)
      AND ($sku::VARCHAR IS NULL OR SkuId = $sku::VARCHAR)
      AND ($region::VARCHAR IS NULL OR RegionId = $region::VARCHAR)
      AND ($sub_account::VARCHAR IS NULL OR SubAccountId = $sub_account::VARCHAR)
),

final AS (
    SELECT
        run_id, config_version, x_GroupId,
        ProviderName, ServiceCategory, ServiceName, SkuId, RegionId, SubAccountId, ChargeCategory,
        ChargeClass, CommitmentDiscountStatus, x_Commitment, x_CorrectsPeriod, x_RowCount,
        BillingCurrency, x_Treatment, x_PlanId, x_RuleNo, x_Basis, x_BasisCode, x_ShareFrac,
        CASE
            WHEN x_Basis = 'cost' OR x_BasisCode = 'B' OR x_Treatment <> 'priced'
                THEN CASE WHEN $show_cost THEN x_BasisAmount END
            ELSE CASE WHEN $show_list THEN x_BasisAmount END
        END AS x_BasisAmount,
        x_Factor, x_PricePreTier, x_TierFactor, x_Price, x_FxRate, x_BuyerCurrency, x_PriceBuyer
    FROM target
)

SELECT * FROM final
ORDER BY ProviderName, ServiceName, SkuId NULLS FIRST, RegionId NULLS FIRST,
         SubAccountId NULLS FIRST, ChargeCategory, x_GroupId
LIMIT $limit
