-- rpt_budget_tag_rows: a tag value's part of one buyer's month at its own price (a budget per
-- tag value, issue #12): per pricing group of the period's current run on the edge, the basis
-- amount and row count of the group's rows whose Tags[$tag_key] = $tag_value, beside the whole
-- group's, so the caller (queries.reports.budgets) takes the part's share of the group's price in
-- Decimal (queries.reports.common.row_share, docs/pricing.md §8; DuckDB divides DECIMALs as
-- DOUBLE). Rows reach groups exactly as in rpt_customer_rows: by the run's own decisions
-- (fct_accounts, x_BasisCode), never by today's configuration.
-- Returns one row per group with at least one such row: x_GroupId, x_PriceBuyer, x_BuyerCurrency,
--   x_PartBasis, x_PartRows, x_GroupBasis, x_GroupRows.
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge); $customers VARCHAR[]
--   (NULL = every end customer on the edge); $tag_key VARCHAR, $tag_value VARCHAR.
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer of the period's current run;
--   queries.reports.budgets checks the user may see it. No seller's cost leaves this statement.
WITH runs AS (
    SELECT r.run_id, b.tag_keys
    FROM rpt_current_runs r
    JOIN billing_runs b ON b.run_id = r.run_id
    WHERE r.x_Period = $period::DATE
),

ledger AS (
    SELECT l.*
    FROM fct_ledger l
    JOIN runs r ON r.run_id = l.run_id
    WHERE l.x_Period = $period::DATE
),

landing AS NOT MATERIALIZED (
    SELECT
        rowid AS x_Rid,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId, ServiceCategory, ServiceName,
        SkuId, RegionId, ChargeCategory, ChargeClass, CommitmentDiscountStatus,
        CommitmentDiscountId IS NOT NULL AS x_Commitment, BillingCurrency, ChargePeriodStart, Tags,
        ListCost, ContractedCost, BilledCost, EffectiveCost
    FROM landing_focus
    WHERE x_Period = $period::DATE AND ChargeCategory <> 'Tax'
),

accounts AS (
    SELECT a.*
    FROM fct_accounts a
    JOIN runs r ON r.run_id = a.run_id
),

target AS (
    SELECT *
    FROM ledger
    WHERE x_SellerId = $seller
      AND x_BuyerId = $buyer
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], x_CustomerId))
),

candidates AS MATERIALIZED (
    SELECT r.*, c.x_GroupId, c.x_CustomerId, c.x_PriceBuyer, c.x_BuyerCurrency, c.x_BasisCode, c.x_ShareFrac
    FROM landing r
    JOIN target c
      ON c.ProviderName = r.ProviderName
     AND c.BillingAccountId = r.BillingAccountId
     AND c.ServiceName = r.ServiceName
     AND c.ServiceCategory = r.ServiceCategory
     AND c.ChargeCategory = r.ChargeCategory
     AND c.BillingCurrency = r.BillingCurrency
     AND c.x_Commitment = r.x_Commitment
     AND c.SubAccountId IS NOT DISTINCT FROM r.SubAccountId
     AND c.InvoiceId IS NOT DISTINCT FROM r.InvoiceId
     AND c.SkuId IS NOT DISTINCT FROM r.SkuId
     AND c.RegionId IS NOT DISTINCT FROM r.RegionId
     AND c.ChargeClass IS NOT DISTINCT FROM r.ChargeClass
     AND c.CommitmentDiscountStatus IS NOT DISTINCT FROM r.CommitmentDiscountStatus
     AND (c.x_CorrectsPeriod IS NULL
          OR c.x_CorrectsPeriod = CASE WHEN r.ChargeClass = 'Correction'
                                       THEN date_trunc('month', r.ChargePeriodStart)::DATE END)
),

assigned AS (
    SELECT r.x_Rid, a.x_CustomerId AS x_AssignedTo
    FROM (SELECT DISTINCT x_Rid, ProviderName, BillingAccountId, SubAccountId, Tags,
                 ChargePeriodStart::DATE AS x_Day
          FROM candidates) r
    CROSS JOIN runs k
    JOIN accounts a
      ON a.ProviderName = r.ProviderName
     AND a.BillingAccountId = r.BillingAccountId
     AND a.SubAccountId IS NOT DISTINCT FROM r.SubAccountId
     AND a.x_TagValues IS NOT DISTINCT FROM
         (CASE WHEN len(k.tag_keys) > 0 AND r.Tags IS NOT NULL
               THEN list_transform(k.tag_keys, lambda t: json_extract_string(r.Tags, t)) END)
     AND (a.x_Day IS NULL OR a.x_Day = r.x_Day)
),

based AS (
    SELECT
        c.x_GroupId, c.x_PriceBuyer, c.x_BuyerCurrency,
        json_extract_string(c.Tags, $tag_key::VARCHAR) IS NOT DISTINCT FROM $tag_value::VARCHAR AS x_InPart,
        x_basis_amount(c.x_BasisCode, c.x_ShareFrac, c.ListCost, c.ContractedCost, c.EffectiveCost,
                       c.BilledCost) AS x_RowBasis
    FROM candidates c
    JOIN assigned a ON a.x_Rid = c.x_Rid AND a.x_AssignedTo = c.x_CustomerId
),

final AS (
    SELECT
        x_GroupId,
        any_value(x_PriceBuyer) AS x_PriceBuyer,
        any_value(x_BuyerCurrency) AS x_BuyerCurrency,
        coalesce(sum(x_RowBasis) FILTER (WHERE x_InPart), 0) AS x_PartBasis,
        count(*) FILTER (WHERE x_InPart) AS x_PartRows,
        sum(x_RowBasis) AS x_GroupBasis,
        count(*) AS x_GroupRows
    FROM based
    GROUP BY x_GroupId
    HAVING count(*) FILTER (WHERE x_InPart) > 0
)

SELECT * FROM final
ORDER BY x_GroupId
