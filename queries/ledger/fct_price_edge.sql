-- fct_price_edge: price every assigned group on the edges of one depth (docs/pricing.md §3–§4, §6).
-- Creates TEMP TABLE tmp_edge: one row per (group, edge of depth $depth) with the treatment, the
-- winning rule (most specific; NULL = no rule), the basis decision (x_BasisCode, x_ShareFrac: the
-- one place it is made, migration 012 says the codes) and amount, the seller's cost, the price
-- before tiers and the FX rate into the buyer's (and seller's) currency (NULL = missing rate).
-- Only what the depth's later statements need is kept (a group's own attributes stay in
-- fct_groups, by gid): writing the wide row once per group was most of the run on a month of
-- one group per row (docs/performance.md).
-- Groups whose credit was retained on a higher edge go no further down.
-- Reads the run's fct_groups, fct_edges (fct_edges_load), fct_prices (the run's edges of lower depth),
-- cfg_plan_rules, cfg_fx_rates. Parameters: $depth INTEGER, $period DATE, $run_id BIGINT.
CREATE OR REPLACE TEMP TABLE tmp_edge AS
WITH groups AS (
    SELECT
        x_GroupId AS gid, x_CustomerId,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId,
        ServiceCategory, ServiceName, SkuId, RegionId,
        ChargeCategory, ChargeClass, CommitmentDiscountStatus, x_Commitment, BillingCurrency,
        x_RowCount, ListCost, ContractedCost, BilledCost, EffectiveCost
    FROM fct_groups
    WHERE run_id = $run_id AND x_CustomerId IS NOT NULL
),
edges AS (
    SELECT * FROM fct_edges WHERE run_id = $run_id AND x_Depth = $depth
),
above AS (
    SELECT x_GroupId AS gid, x_Price, x_Treatment, x_BasisCode, x_ShareFrac
    FROM fct_prices
    WHERE run_id = $run_id AND x_Depth = $depth - 1
),
rules AS (
    SELECT * FROM cfg_plan_rules
),
fx AS (
    SELECT from_ccy, to_ccy, rate FROM cfg_fx_rates WHERE period = $period
),
base AS (
    SELECT
        g.*,
        e.x_Depth, e.x_SellerId, e.x_BuyerId, e.plan_id, e.buyer_ccy, e.seller_ccy,
        e.credits, e.commitments, e.share_frac,
        CASE WHEN $depth = 1 THEN g.BilledCost ELSE a.x_Price END AS x_Cost,
        CASE WHEN $depth = 1 THEN 'B' ELSE a.x_BasisCode END AS x_CostCode,
        a.x_ShareFrac AS x_CostShareFrac,
        CASE
            WHEN g.ChargeCategory IN ('Usage', 'Purchase') THEN 'priced'
            WHEN g.ChargeCategory = 'Credit' AND e.credits = 'pass_through' THEN 'passed_credit'
            WHEN g.ChargeCategory = 'Credit' THEN 'retained_credit'
            ELSE 'adjustment'
        END AS x_Treatment
    FROM groups g
    JOIN edges e ON e.x_CustomerId = g.x_CustomerId
    LEFT JOIN above a ON a.gid = g.gid
    WHERE $depth = 1 OR (a.gid IS NOT NULL AND a.x_Treatment <> 'retained_credit')
),
rule_keys AS (
    -- rules depend only on these fields: resolve each distinct combination once, not per group.
    -- Read from the groups and edges, not from `base`: referenced once, `base` is not
    -- materialised (a copy of every group of the depth). A few keys more than `base` holds
    -- (groups whose credit was retained above) cost nothing: nothing joins to them.
    SELECT DISTINCT e.plan_id, g.ProviderName, g.ServiceCategory, g.ServiceName, g.SkuId,
                    g.RegionId, g.ChargeCategory
    FROM groups g
    JOIN edges e ON e.x_CustomerId = g.x_CustomerId
    WHERE g.ChargeCategory IN ('Usage', 'Purchase')          -- x_Treatment 'priced', as in base
),
resolved AS (
    SELECT k.*, r.rule_no, r.basis, r.factor
    FROM rule_keys k
    JOIN rules r
      ON r.plan_id = k.plan_id
     AND (r.ProviderName IS NULL OR r.ProviderName = k.ProviderName)
     AND (r.ServiceCategory IS NULL OR r.ServiceCategory = k.ServiceCategory)
     AND (r.ServiceName IS NULL OR r.ServiceName = k.ServiceName)
     AND (r.SkuId IS NULL OR r.SkuId = k.SkuId)
     AND (r.RegionId IS NULL OR r.RegionId = k.RegionId)
     AND (r.ChargeCategory IS NULL OR r.ChargeCategory = k.ChargeCategory)
    QUALIFY row_number() OVER (
        PARTITION BY k.plan_id, k.ProviderName, k.ServiceCategory, k.ServiceName, k.SkuId, k.RegionId, k.ChargeCategory
        ORDER BY r.specificity DESC, r.rule_no) = 1
),
decided AS (   -- THE basis decision (docs/pricing.md §3): which FOCUS amount this edge's price
               -- follows (x_basis_amount maps the code to the amount). NULL: the seller's price.
    SELECT
        b.*,
        m.rule_no AS x_RuleNo,
        m.basis AS x_Basis,
        m.factor AS x_Factor,
        CASE
            WHEN b.x_Treatment = 'retained_credit' THEN 'Z'
            WHEN b.x_Treatment <> 'priced' OR m.basis IS NULL OR m.basis = 'cost' THEN NULL
            WHEN b.x_Commitment AND b.ChargeCategory = 'Purchase' THEN 'E'
            WHEN b.CommitmentDiscountStatus = 'Used' AND b.commitments = 'pass_through' THEN 'E'
            WHEN b.CommitmentDiscountStatus = 'Used' AND b.commitments = 'retain' THEN 'L'
            WHEN b.CommitmentDiscountStatus = 'Used' AND b.commitments = 'share' THEN 'S'
            WHEN b.CommitmentDiscountStatus = 'Unused' AND b.commitments = 'pass_through' THEN 'E'
            WHEN b.CommitmentDiscountStatus = 'Unused' THEN 'Z'
            WHEN m.basis = 'list' THEN 'L'
            WHEN m.basis = 'contracted' THEN 'C'
            WHEN m.basis = 'effective' THEN 'E'
        END AS x_OwnCode
    FROM base b
    LEFT JOIN resolved m                -- nullable key columns: IS NOT DISTINCT FROM, as every key join
      ON b.x_Treatment = 'priced'
     AND m.plan_id = b.plan_id
     AND m.ProviderName = b.ProviderName
     AND m.ServiceCategory = b.ServiceCategory
     AND m.ServiceName = b.ServiceName
     AND m.SkuId IS NOT DISTINCT FROM b.SkuId
     AND m.RegionId IS NOT DISTINCT FROM b.RegionId
     AND m.ChargeCategory = b.ChargeCategory
),
based AS (
    SELECT
        d.* EXCLUDE (x_OwnCode, x_CostCode, x_CostShareFrac),
        CASE
            WHEN d.x_Basis IS NULL THEN NULL          -- not priced by a rule (no rule: an exception)
            WHEN d.x_Basis = 'cost' THEN d.x_Cost
            ELSE x_basis_amount(d.x_OwnCode, d.share_frac, d.ListCost, d.ContractedCost, d.EffectiveCost, d.BilledCost)
        END AS x_BasisAmount,
        -- what the drill-down spreads this edge's price over, row by row: its own decision, or
        -- (following its seller's price) the decision of the edge above
        coalesce(d.x_OwnCode, d.x_CostCode) AS x_BasisCode,
        CASE
            WHEN d.x_OwnCode = 'S' THEN d.share_frac
            WHEN d.x_OwnCode IS NULL AND d.x_CostCode = 'S' THEN d.x_CostShareFrac
        END AS x_ShareFrac
    FROM decided d
),
final AS (
    SELECT
        d.gid, d.x_Depth, d.x_SellerId, d.x_BuyerId, d.plan_id, d.buyer_ccy, d.seller_ccy,
        d.x_Treatment, d.x_RuleNo, d.x_Basis, d.x_Factor, d.x_BasisAmount, d.x_BasisCode,
        d.x_ShareFrac, d.x_Cost,
        CASE
            WHEN d.x_Treatment = 'priced' THEN CAST(d.x_BasisAmount * d.x_Factor AS DECIMAL(38,10))
            WHEN d.x_Treatment = 'retained_credit' THEN CAST(0 AS DECIMAL(38,10))
            ELSE d.x_Cost
        END AS x_PricePreTier,
        CASE WHEN d.BillingCurrency = d.buyer_ccy THEN CAST(1 AS DECIMAL(20,10)) ELSE fb.rate END AS x_FxRate,
        CASE WHEN d.BillingCurrency = d.seller_ccy THEN CAST(1 AS DECIMAL(20,10)) ELSE fs.rate END AS x_SellerFxRate
    FROM based d
    LEFT JOIN fx fb ON fb.from_ccy = d.BillingCurrency AND fb.to_ccy = d.buyer_ccy
    LEFT JOIN fx fs ON fs.from_ccy = d.BillingCurrency AND fs.to_ccy = d.seller_ccy
)
SELECT * FROM final;
