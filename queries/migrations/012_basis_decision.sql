-- Migration 012: the billing run stores the basis it decided for each group and edge, so the row
-- drill-down, the daily views and every export read that decision instead of deciding again
-- (docs/pricing.md §3, §8):
--   fct_prices.x_BasisCode  which FOCUS amount the edge's price follows, row by row:
--                           L ListCost | C ContractedCost | E EffectiveCost | B BilledCost |
--                           S shared saving (ListCost − x_ShareFrac × (ListCost − EffectiveCost)) |
--                           Z nothing (a retained credit, an unused commitment that is not passed on).
--                           A cost-plus rule, a passed credit and an adjustment follow their seller's
--                           price, so they take the code of the edge above (B at the root's edge).
--   fct_prices.x_ShareFrac  the share of the saving passed on, where x_BasisCode = 'S'.
--   x_basis_amount(...)     the one mapping from a code to an amount, used by the run and the drill-down.
ALTER TABLE fct_prices ADD COLUMN x_BasisCode VARCHAR;
ALTER TABLE fct_prices ADD COLUMN x_ShareFrac DECIMAL(20,10);

CREATE MACRO x_basis_amount(code, share_frac, list_cost, contracted_cost, effective_cost, billed_cost) AS
    CASE code
        WHEN 'L' THEN list_cost
        WHEN 'C' THEN contracted_cost
        WHEN 'E' THEN effective_cost
        WHEN 'B' THEN billed_cost
        WHEN 'S' THEN CAST(list_cost - CAST(share_frac * (list_cost - effective_cost) AS DECIMAL(38,10)) AS DECIMAL(38,10))
        WHEN 'Z' THEN CAST(0 AS DECIMAL(38,10))
    END;

-- Runs billed before this migration: the same decision the drill-down used to re-derive, from the
-- run's own edge terms (fct_edges), resolved down the tree (the deepest edge at or above that sets it).
UPDATE fct_prices AS p
SET x_BasisCode = d.x_BasisCode, x_ShareFrac = d.x_ShareFrac
FROM (
    WITH own AS (
        SELECT
            p.run_id, p.x_GroupId, p.x_Depth,
            CASE
                WHEN p.x_Treatment = 'retained_credit' THEN 'Z'
                WHEN p.x_Treatment <> 'priced' OR p.x_Basis = 'cost' THEN NULL
                WHEN g.x_Commitment AND g.ChargeCategory = 'Purchase' THEN 'E'
                WHEN g.CommitmentDiscountStatus = 'Used' AND e.commitments = 'pass_through' THEN 'E'
                WHEN g.CommitmentDiscountStatus = 'Used' AND e.commitments = 'retain' THEN 'L'
                WHEN g.CommitmentDiscountStatus = 'Used' AND e.commitments = 'share' THEN 'S'
                WHEN g.CommitmentDiscountStatus = 'Unused' AND e.commitments = 'pass_through' THEN 'E'
                WHEN g.CommitmentDiscountStatus = 'Unused' THEN 'Z'
                WHEN p.x_Basis = 'list' THEN 'L'
                WHEN p.x_Basis = 'contracted' THEN 'C'
                WHEN p.x_Basis = 'effective' THEN 'E'
            END AS own_code,
            e.share_frac
        FROM fct_prices p
        JOIN fct_groups g ON g.run_id = p.run_id AND g.x_GroupId = p.x_GroupId
        LEFT JOIN fct_edges e ON e.run_id = p.run_id AND e.x_CustomerId = g.x_CustomerId AND e.x_Depth = p.x_Depth
    )
    , resolved AS (
        SELECT
            run_id, x_GroupId, x_Depth,
            coalesce(last_value(own_code IGNORE NULLS) OVER w, 'B') AS x_BasisCode,
            last_value(CASE WHEN own_code IS NOT NULL THEN share_frac END IGNORE NULLS) OVER w AS share_frac
        FROM own
        WINDOW w AS (PARTITION BY run_id, x_GroupId ORDER BY x_Depth
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
    SELECT run_id, x_GroupId, x_Depth, x_BasisCode,
           CASE WHEN x_BasisCode = 'S' THEN share_frac END AS x_ShareFrac
    FROM resolved
) AS d
WHERE p.run_id = d.run_id AND p.x_GroupId = d.x_GroupId AND p.x_Depth = d.x_Depth;

CREATE OR REPLACE VIEW fct_ledger AS
SELECT
    p.run_id, p.x_Period, p.x_SellerId, p.x_BuyerId, g.x_CustomerId, p.x_Depth,
    g.ProviderName, g.BillingAccountId, g.SubAccountId, g.InvoiceId, g.ServiceCategory,
    g.ServiceName, g.SkuId, g.RegionId, g.ChargeCategory, g.ChargeClass,
    g.CommitmentDiscountStatus, g.x_Commitment, g.BillingCurrency, g.x_RowCount,
    g.ListCost, g.ContractedCost, g.BilledCost, g.EffectiveCost,
    p.x_Treatment, p.x_PlanId, p.x_RuleNo, p.x_Basis, p.x_BasisAmount, p.x_Factor,
    p.x_Cost, p.x_PricePreTier, p.x_TierFactor, p.x_Price, p.x_BuyerCurrency, p.x_FxRate,
    p.x_PriceBuyer, p.x_CostSeller, p.x_GroupId, p.x_BasisCode, p.x_ShareFrac
FROM fct_prices p
JOIN fct_groups g
  ON g.run_id = p.run_id
 AND g.x_Period = p.x_Period
 AND g.x_GroupId = p.x_GroupId;
