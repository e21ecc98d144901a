-- landing_bench_baseline: the "one DuckDB query" homegrown baseline of bench/baselines.py
-- (bench-only, never used by the product): a 2-tier channel's invoice subtotals straight from a
-- FOCUS Parquet file, the way an analyst would write them from docs/pricing.md, without
-- Tierline's store. Tax rows aside, rows are assigned by sub-account mapping and summed into
-- pricing groups; each depth prices the groups (most specific rule, basis × factor, graduated or
-- volume tiers on the buyer's subtotal, FX into the buyer's currency), each invoice line is
-- rounded once to the cent, fees are added, and the lines summed per invoice.
-- Reads the registered Arrow tables bl_maps (ProviderName, SubAccountId, customer), bl_edges
-- (customer, depth, seller, buyer, plan_id, buyer_ccy, credits), bl_rules (plan_id, rule_no, the
-- six match fields or NULL, basis, factor DECIMAL(20,10), specificity), bl_fx (from_ccy, to_ccy,
-- rate DECIMAL(20,10)), bl_bands (plan_id, mode, start, next_start DECIMAL(38,10), pct_frac
-- DECIMAL(7,4) = pct / 100), bl_fees (plan_id, amount DECIMAL(38,10), pct_frac DECIMAL(7,4)),
-- bl_fixed (seller, buyer: edges whose buyer's plan has a fixed fee).
-- Tier factor t = (S − D) / S to 12 places is computed in HUGEINT, because DuckDB divides
-- decimals as DOUBLE. Returns (seller, buyer, currency, subtotal DECIMAL(38,2)).
-- Parameters: $path VARCHAR (the Parquet file).
WITH src AS (
    SELECT ProviderName, BillingAccountId, SubAccountId, InvoiceId, ServiceCategory, ServiceName,
           SkuId, RegionId, ChargeCategory, BillingCurrency,
           ListCost, ContractedCost, BilledCost, EffectiveCost
    FROM read_parquet($path)
    WHERE ChargeCategory <> 'Tax'
),
groups AS (
    SELECT m.customer, s.ProviderName, s.BillingAccountId, s.SubAccountId, s.InvoiceId,
           s.ServiceCategory, s.ServiceName, s.SkuId, s.RegionId, s.ChargeCategory, s.BillingCurrency,
           CAST(sum(s.ListCost) AS DECIMAL(38,10)) AS list_cost,
           CAST(sum(s.ContractedCost) AS DECIMAL(38,10)) AS contracted_cost,
           CAST(sum(s.BilledCost) AS DECIMAL(38,10)) AS billed_cost,
           CAST(sum(s.EffectiveCost) AS DECIMAL(38,10)) AS effective_cost
    FROM src s
    JOIN bl_maps m ON m.ProviderName = s.ProviderName AND m.SubAccountId = s.SubAccountId
    GROUP BY ALL
),
rule_pick AS (
    -- the winning rule of each plan for each distinct rule-relevant key
    SELECT k.*, r.basis, r.factor
    FROM (SELECT DISTINCT e.plan_id, g.ProviderName, g.ServiceCategory, g.ServiceName, g.SkuId,
                          g.RegionId, g.ChargeCategory
          FROM groups g JOIN bl_edges e ON e.customer = g.customer) k
    JOIN bl_rules r
      ON r.plan_id = k.plan_id
     AND (r.ProviderName IS NULL OR r.ProviderName = k.ProviderName)
     AND (r.ServiceCategory IS NULL OR r.ServiceCategory = k.ServiceCategory)
     AND (r.ServiceName IS NULL OR r.ServiceName = k.ServiceName)
     AND (r.SkuId IS NULL OR r.SkuId = k.SkuId)
     AND (r.RegionId IS NULL OR r.RegionId = k.RegionId)
     AND (r.ChargeCategory IS NULL OR r.ChargeCategory = k.ChargeCategory)
    QUALIFY row_number() OVER (PARTITION BY k.plan_id, k.ProviderName, k.ServiceCategory, k.ServiceName,
                                            k.SkuId, k.RegionId, k.ChargeCategory
                               ORDER BY r.specificity DESC, r.rule_no) = 1
),
-- depth 1: the root sells to the reseller ------------------------------------------------------
e1 AS (
    SELECT g.*, e.seller, e.buyer, e.plan_id, e.buyer_ccy, g.billed_cost AS cost,
           CASE WHEN g.ChargeCategory IN ('Usage', 'Purchase') THEN 'priced'
                WHEN g.ChargeCategory = 'Credit' AND e.credits = 'pass_through' THEN 'passed_credit'
                WHEN g.ChargeCategory = 'Credit' THEN 'retained_credit'
                ELSE 'adjustment' END AS treatment
    FROM groups g JOIN bl_edges e ON e.customer = g.customer AND e.depth = 1
),
pre1 AS (
    SELECT e.*,
           CASE WHEN e.treatment = 'priced' THEN CAST(
                    CASE r.basis WHEN 'list' THEN e.list_cost WHEN 'contracted' THEN e.contracted_cost
                                 WHEN 'effective' THEN e.effective_cost ELSE e.cost END * r.factor AS DECIMAL(38,10))
                WHEN e.treatment = 'retained_credit' THEN CAST(0 AS DECIMAL(38,10))
                ELSE e.cost END AS pre,
           CASE WHEN e.BillingCurrency = e.buyer_ccy THEN CAST(1 AS DECIMAL(20,10)) ELSE fx.rate END AS rate
    FROM e1 e
    LEFT JOIN rule_pick r
      ON r.plan_id = e.plan_id AND r.ProviderName = e.ProviderName AND r.ServiceCategory = e.ServiceCategory
     AND r.ServiceName = e.ServiceName AND r.SkuId IS NOT DISTINCT FROM e.SkuId
     AND r.RegionId IS NOT DISTINCT FROM e.RegionId
     AND r.ChargeCategory = e.ChargeCategory
    LEFT JOIN bl_fx fx ON fx.from_ccy = e.BillingCurrency AND fx.to_ccy = e.buyer_ccy
),
s1 AS (
    SELECT buyer, plan_id, sum(CAST(pre * rate AS DECIMAL(38,10))) AS s
    FROM pre1 WHERE treatment = 'priced' GROUP BY ALL
),
d1 AS (
    SELECT s.buyer, s.s,
           coalesce(sum(CASE WHEN b.mode = 'graduated' AND s.s > b.start
                                 THEN (least(s.s, coalesce(b.next_start, s.s)) - b.start) * b.pct_frac
                             WHEN b.mode = 'volume' AND b.start <= s.s AND (b.next_start IS NULL OR s.s < b.next_start)
                                 THEN s.s * b.pct_frac
                             ELSE 0 END), 0) AS d
    FROM s1 s LEFT JOIN bl_bands b ON b.plan_id = s.plan_id
    GROUP BY ALL
),
t1 AS (
    SELECT buyer,
           CASE WHEN d = 0 OR s <= 0 THEN CAST(1 AS DECIMAL(26,12))
                ELSE CAST(CAST((2 * CAST((s - d) * 100000000000000 AS HUGEINT) * 1000000000000
                                + CAST(s * 100000000000000 AS HUGEINT))
                               // (2 * CAST(s * 100000000000000 AS HUGEINT)) AS DECIMAL(13,0))
                          * CAST(0.000000000001 AS DECIMAL(13,12)) AS DECIMAL(26,12)) END AS t
    FROM d1
),
p1 AS (
    SELECT p.*,
           CASE WHEN p.treatment = 'priced' THEN CAST(p.pre * coalesce(t.t, 1) AS DECIMAL(38,10)) ELSE p.pre END AS price
    FROM pre1 p LEFT JOIN t1 t ON t.buyer = p.buyer
),
-- depth 2: the reseller sells to the customer (rows whose credit the root retained stop above) -
e2 AS (
    SELECT p.customer, p.ProviderName, p.BillingAccountId, p.SubAccountId, p.InvoiceId,
           p.ServiceCategory, p.ServiceName, p.SkuId, p.RegionId, p.ChargeCategory, p.BillingCurrency,
           p.list_cost, p.contracted_cost, p.billed_cost, p.effective_cost,
           e.seller, e.buyer, e.plan_id, e.buyer_ccy, p.price AS cost,
           CASE WHEN p.ChargeCategory IN ('Usage', 'Purchase') THEN 'priced'
                WHEN p.ChargeCategory = 'Credit' AND e.credits = 'pass_through' THEN 'passed_credit'
                WHEN p.ChargeCategory = 'Credit' THEN 'retained_credit'
                ELSE 'adjustment' END AS treatment
    FROM p1 p JOIN bl_edges e ON e.customer = p.customer AND e.depth = 2
    WHERE p.treatment <> 'retained_credit'
),
pre2 AS (
    SELECT e.*,
           CASE WHEN e.treatment = 'priced' THEN CAST(
                    CASE r.basis WHEN 'list' THEN e.list_cost WHEN 'contracted' THEN e.contracted_cost
                                 WHEN 'effective' THEN e.effective_cost ELSE e.cost END * r.factor AS DECIMAL(38,10))
                WHEN e.treatment = 'retained_credit' THEN CAST(0 AS DECIMAL(38,10))
                ELSE e.cost END AS pre,
           CASE WHEN e.BillingCurrency = e.buyer_ccy THEN CAST(1 AS DECIMAL(20,10)) ELSE fx.rate END AS rate
    FROM e2 e
    LEFT JOIN rule_pick r
      ON r.plan_id = e.plan_id AND r.ProviderName = e.ProviderName AND r.ServiceCategory = e.ServiceCategory
     AND r.ServiceName = e.ServiceName AND r.SkuId IS NOT DISTINCT FROM e.SkuId
     AND r.RegionId IS NOT DISTINCT FROM e.RegionId
     AND r.ChargeCategory = e.ChargeCategory
    LEFT JOIN bl_fx fx ON fx.from_ccy = e.BillingCurrency AND fx.to_ccy = e.buyer_ccy
),
s2 AS (
    SELECT buyer, plan_id, sum(CAST(pre * rate AS DECIMAL(38,10))) AS s
    FROM pre2 WHERE treatment = 'priced' GROUP BY ALL
),
d2 AS (
    SELECT s.buyer, s.s,
           coalesce(sum(CASE WHEN b.mode = 'graduated' AND s.s > b.start
                                 THEN (least(s.s, coalesce(b.next_start, s.s)) - b.start) * b.pct_frac
                             WHEN b.mode = 'volume' AND b.start <= s.s AND (b.next_start IS NULL OR s.s < b.next_start)
                                 THEN s.s * b.pct_frac
                             ELSE 0 END), 0) AS d
    FROM s2 s LEFT JOIN bl_bands b ON b.plan_id = s.plan_id
    GROUP BY ALL
),
t2 AS (
    SELECT buyer,
           CASE WHEN d = 0 OR s <= 0 THEN CAST(1 AS DECIMAL(26,12))
                ELSE CAST(CAST((2 * CAST((s - d) * 100000000000000 AS HUGEINT) * 1000000000000
                                + CAST(s * 100000000000000 AS HUGEINT))
                               // (2 * CAST(s * 100000000000000 AS HUGEINT)) AS DECIMAL(13,0))
                          * CAST(0.000000000001 AS DECIMAL(13,12)) AS DECIMAL(26,12)) END AS t
    FROM d2
),
p2 AS (
    SELECT p.*,
           CASE WHEN p.treatment = 'priced' THEN CAST(p.pre * coalesce(t.t, 1) AS DECIMAL(38,10)) ELSE p.pre END AS price
    FROM pre2 p LEFT JOIN t2 t ON t.buyer = p.buyer
),
-- invoices -----------------------------------------------------------------------------------
priced AS (
    SELECT seller, buyer, buyer_ccy, treatment, ProviderName, ServiceName,
           CAST(price * rate AS DECIMAL(38,10)) AS price_buyer
    FROM p1 WHERE treatment <> 'retained_credit'
    UNION ALL
    SELECT seller, buyer, buyer_ccy, treatment, ProviderName, ServiceName,
           CAST(price * rate AS DECIMAL(38,10)) AS price_buyer
    FROM p2 WHERE treatment <> 'retained_credit'
),
lines AS (
    SELECT seller, buyer, buyer_ccy,
           CAST(sum(price_buyer) AS DECIMAL(38,2)) AS amount,
           sum(CASE WHEN treatment = 'priced' THEN price_buyer ELSE 0 END) AS usage
    FROM priced
    GROUP BY seller, buyer, buyer_ccy, treatment = 'passed_credit', ProviderName,
             CASE WHEN treatment = 'passed_credit' THEN NULL ELSE ServiceName END
),
usage AS (
    SELECT seller, buyer, buyer_ccy, sum(amount) AS amount, sum(usage) AS usage
    FROM lines GROUP BY ALL
),
invoices AS (
    SELECT u.seller, u.buyer, coalesce(u.buyer_ccy, e.buyer_ccy) AS currency,
           coalesce(u.amount, 0) AS lines_amount, coalesce(u.usage, 0) AS usage, e.plan_id
    FROM (SELECT DISTINCT seller, buyer, buyer_ccy, plan_id FROM bl_edges) e
    LEFT JOIN usage u ON u.seller = e.seller AND u.buyer = e.buyer
    WHERE u.buyer IS NOT NULL OR EXISTS (SELECT 1 FROM bl_fixed f WHERE f.seller = e.seller AND f.buyer = e.buyer)
),
fees AS (
    SELECT i.seller, i.buyer,
           sum(CASE WHEN f.amount IS NOT NULL THEN CAST(f.amount AS DECIMAL(38,2))
                    ELSE CAST(CAST(i.usage * f.pct_frac AS DECIMAL(38,10)) AS DECIMAL(38,2)) END) AS amount
    FROM invoices i JOIN bl_fees f ON f.plan_id = i.plan_id
    GROUP BY ALL
),
final AS (
    SELECT i.seller, i.buyer, i.currency,
           CAST(i.lines_amount + coalesce(f.amount, 0) AS DECIMAL(38,2)) AS subtotal
    FROM invoices i LEFT JOIN fees f ON f.seller = i.seller AND f.buyer = i.buyer
)
SELECT * FROM final ORDER BY seller, buyer
