-- fct_tier_subtotals: each buyer's period subtotal on its edge, in the buyer's currency, before
-- tiers (docs/pricing.md §5): S = Σ ledger(x_PricePreTier × rate) over 'priced' groups.
-- Returns (x_BuyerId, subtotal DECIMAL(38,10)). Reads TEMP TABLE tmp_edge. No parameters.
WITH priced AS (
    SELECT x_BuyerId, x_PricePreTier, x_FxRate
    FROM tmp_edge
    WHERE x_Treatment = 'priced' AND x_RuleNo IS NOT NULL   -- a group with no rule is an exception, not spend
      AND x_FxRate IS NOT NULL AND x_SellerFxRate IS NOT NULL
),
final AS (
    SELECT x_BuyerId, sum(CASE WHEN x_FxRate = 1 THEN x_PricePreTier    -- × 1 skipped (fct_apply_tiers)
                               ELSE CAST(x_PricePreTier * x_FxRate AS DECIMAL(38,10)) END) AS subtotal
    FROM priced
    GROUP BY x_BuyerId
)
SELECT * FROM final ORDER BY x_BuyerId;
