-- fct_exceptions_unpriced: records the groups of one depth that could not be priced: no matching
-- rule ('no_rule') or no FX rate into the buyer's currency ('no_fx'). Reads TEMP TABLE tmp_edge.
-- Parameters: $run_id BIGINT, $period DATE.
INSERT INTO fct_exceptions BY NAME
WITH failed AS (   -- with the group's own attributes from fct_groups (tmp_edge keeps its id)
    SELECT
        e.*,
        g.ProviderName, g.BillingAccountId, g.InvoiceId, g.SubAccountId, g.ServiceName, g.SkuId,
        g.BillingCurrency, g.ChargeCategory, g.x_RowCount, g.BilledCost,
        CASE WHEN e.x_Treatment = 'priced' AND e.x_RuleNo IS NULL THEN 'no_rule' ELSE 'no_fx' END AS kind
    FROM tmp_edge e
    JOIN fct_groups g ON g.run_id = $run_id AND g.x_GroupId = e.gid
    WHERE (e.x_Treatment = 'priced' AND e.x_RuleNo IS NULL) OR e.x_FxRate IS NULL OR e.x_SellerFxRate IS NULL
),
final AS (
    SELECT
        $run_id AS run_id, $period AS x_Period, kind, x_SellerId, x_BuyerId,
        ProviderName, BillingAccountId, InvoiceId, SubAccountId, ServiceName, SkuId, BillingCurrency,
        sum(x_RowCount) AS x_RowCount, sum(BilledCost) AS BilledCost,
        CASE kind
            WHEN 'no_rule' THEN 'plan ' || any_value(plan_id) || ' has no rule for ' || ProviderName || ' / ' || ServiceName || ' / ' || ChargeCategory
            ELSE 'no FX rate ' || BillingCurrency || ' -> ' || CASE WHEN bool_or(x_FxRate IS NULL) THEN any_value(buyer_ccy) ELSE any_value(seller_ccy) END || ' for the period'
        END AS detail
    FROM failed
    GROUP BY kind, x_SellerId, x_BuyerId, ProviderName, BillingAccountId, InvoiceId, SubAccountId,
             ServiceName, SkuId, BillingCurrency, ChargeCategory
)
SELECT * FROM final;
