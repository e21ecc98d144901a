-- fct_apply_tiers: finish one depth's edges — tier factor, price after tiers, buyer-currency price —
-- and write them to the priced ledger under the run's id (docs/pricing.md §5–§6): fct_prices, one
-- row per group and edge (the group's own attributes are in fct_groups, written once per run).
-- Reads tmp_edge and tmp_tier_factors (x_BuyerId, factor DECIMAL(20,12), from Python). Only rows
-- with a rule (or a non-priced treatment) and an FX rate reach the ledger; the rest are exceptions.
-- Parameters: $run_id BIGINT, $period DATE.
INSERT INTO fct_prices BY NAME
WITH edge AS (
    SELECT * FROM tmp_edge
    WHERE x_FxRate IS NOT NULL AND x_SellerFxRate IS NOT NULL AND (x_Treatment <> 'priced' OR x_RuleNo IS NOT NULL)
),
tiers AS (
    SELECT x_BuyerId, factor FROM tmp_tier_factors
),
factored AS (
    SELECT
        e.*,
        CASE WHEN e.x_Treatment = 'priced' THEN coalesce(t.factor, CAST(1 AS DECIMAL(20,12)))
             ELSE CAST(1 AS DECIMAL(20,12)) END AS x_TierFactor
    FROM edge e
    LEFT JOIN tiers t ON t.x_BuyerId = e.x_BuyerId
),
priced AS (
    -- a factor or rate of exactly 1 (no tiers, same currency: most rows) is skipped: x × 1 = x,
    -- and DuckDB's checked 128-bit DECIMAL product costs about a microsecond a row
    SELECT f.*, CASE WHEN f.x_TierFactor = 1 THEN f.x_PricePreTier
                     ELSE CAST(f.x_PricePreTier * f.x_TierFactor AS DECIMAL(38,10)) END AS x_Price
    FROM factored f
),
final AS (
    SELECT
        $run_id AS run_id, $period AS x_Period, gid AS x_GroupId, x_Depth, x_SellerId, x_BuyerId,
        x_Treatment, plan_id AS x_PlanId, x_RuleNo, x_Basis, x_BasisAmount, x_Factor, x_BasisCode, x_ShareFrac,
        x_Cost, x_PricePreTier, x_TierFactor, x_Price,
        buyer_ccy AS x_BuyerCurrency, x_FxRate,
        CASE WHEN x_FxRate = 1 THEN x_Price
             ELSE CAST(x_Price * x_FxRate AS DECIMAL(38,10)) END AS x_PriceBuyer,
        CASE WHEN x_SellerFxRate = 1 THEN x_Cost
             ELSE CAST(x_Cost * x_SellerFxRate AS DECIMAL(38,10)) END AS x_CostSeller
    FROM priced
)
SELECT * FROM final;
