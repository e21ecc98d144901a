-- rpt_customer_rows: the FOCUS rows behind one buyer's edge and each row's share of its pricing
-- group's price (docs/pricing.md §8), at row grain or summed per (pricing group, day).
-- A row's price = the group's x_PriceBuyer × the row's basis amount / the group's basis amount
-- (x_Rows / x_GroupRows when the group's basis sums to 0). DuckDB divides DECIMALs in DOUBLE, so
-- the caller (queries.scope) does that one division in Decimal; everything here stays DECIMAL.
-- The row's basis amount is the amount the run decided the edge's price follows, stored per group
-- and edge (fct_prices.x_BasisCode, x_ShareFrac; mapped to an amount by x_basis_amount, migration
-- 012): this statement never decides a basis itself.
-- Rows reach a group by the run's own decisions, never by today's configuration: the customer
-- of the row's account (fct_accounts, cut by the run's tag_keys and, where the run cut it, the
-- day) and the basis each edge was priced on, so two customers sharing a pricing key never see
-- each other's rows and the rows add up to the run's ledger after any configuration change.
-- Returns (row grain: one row per FOCUS row; day grain: one row per group and day):
--   x_GroupId, x_Day, x_Rid (row grain only), ChargePeriodStart, ProviderName, ServiceName,
--   ServiceCategory, SkuId, ResourceId, ResourceName, RegionId, SubAccountId, ChargeCategory,
--   ConsumedQuantity, ConsumedUnit, BillingCurrency, ListCost (NULL unless $show_list),
--   BilledCost, EffectiveCost (NULL unless $show_cost), x_RowBasis, x_Rows, x_PriceBuyer,
--   x_GroupBasis, x_GroupRows, x_BuyerCurrency.
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge); $customers VARCHAR[]
--   (NULL = every end customer on the edge); $cost_groups VARCHAR[] (NULL = every row, else rows
--   whose Tags cost_group is listed); $sub_account VARCHAR, $service VARCHAR (NULL = all);
--   $grain 'row' | 'day'; $limit BIGINT (NULL = all); $show_list BOOLEAN (list prices: usage
--   of the user's subtree); $show_cost BOOLEAN (the provider's charge: the root's own cost).
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer (end customers in $customers) of
--   the period's current run; queries.scope checks the user may see it. No seller's cost leaves
--   this statement except BilledCost/EffectiveCost when $show_cost (the root's own).
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

landing AS NOT MATERIALIZED (   -- read once, by candidates: never copied
    SELECT
        rowid AS x_Rid,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId, ServiceCategory, ServiceName,
        SkuId, RegionId, ChargeCategory, ChargeClass, CommitmentDiscountStatus,
        CommitmentDiscountId IS NOT NULL AS x_Commitment, BillingCurrency,
        ChargePeriodStart, ResourceId, ResourceName, ConsumedQuantity, ConsumedUnit, Tags,
        ListCost, ContractedCost, BilledCost, EffectiveCost
    FROM landing_focus
    WHERE x_Period = $period::DATE AND ChargeCategory <> 'Tax'
),

accounts AS (   -- the customer of each account, as the run decided
    SELECT a.*
    FROM fct_accounts a
    JOIN runs r ON r.run_id = a.run_id
),

target AS (
    SELECT row_number() OVER () AS x_GroupId, *
    FROM ledger
    WHERE x_SellerId = $seller
      AND x_BuyerId = $buyer
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], x_CustomerId))
      AND ($sub_account::VARCHAR IS NULL OR SubAccountId = $sub_account::VARCHAR)
      AND ($service::VARCHAR IS NULL OR ServiceName = $service::VARCHAR)
),

coded AS (
    SELECT
        x_GroupId, x_CustomerId, x_PriceBuyer, x_BuyerCurrency,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId, ServiceCategory,
        ServiceName, SkuId, RegionId, ChargeCategory, ChargeClass,
        CommitmentDiscountStatus, x_Commitment, BillingCurrency, x_CorrectsPeriod,
        x_BasisCode, x_ShareFrac
    FROM target
),

candidates AS MATERIALIZED (   -- the landed rows with a target group's pricing key (docs/pricing.md §2)
    SELECT r.*, c.x_GroupId, c.x_CustomerId, c.x_PriceBuyer, c.x_BuyerCurrency, c.x_BasisCode, c.x_ShareFrac
    FROM landing r
    JOIN coded c
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
     -- a correction row reaches the group of the month it corrects (landing_groups_insert), or
     -- any month's in a run billed before groups kept the month (migration 016: NULL)
     AND (c.x_CorrectsPeriod IS NULL
          OR c.x_CorrectsPeriod = CASE WHEN r.ChargeClass = 'Correction'
                                       THEN date_trunc('month', r.ChargePeriodStart)::DATE END)
),

candidate_rows AS (
    SELECT DISTINCT x_Rid, ProviderName, BillingAccountId, SubAccountId, Tags,
           ChargePeriodStart::DATE AS x_Day
    FROM candidates
),

assigned AS (   -- the run's customer for each row: its account (and day, where the run cut by day)
    SELECT r.x_Rid, a.x_CustomerId AS x_AssignedTo
    FROM candidate_rows r
    CROSS JOIN runs k
    JOIN accounts a
      ON a.ProviderName = r.ProviderName
     AND a.BillingAccountId = r.BillingAccountId
     AND a.SubAccountId IS NOT DISTINCT FROM r.SubAccountId
     AND a.x_TagValues IS NOT DISTINCT FROM
         (CASE WHEN len(k.tag_keys) > 0 AND r.Tags IS NOT NULL    -- as landing_groups_insert cut them
               THEN list_transform(k.tag_keys, lambda t: json_extract_string(r.Tags, t)) END)
     AND (a.x_Day IS NULL OR a.x_Day = r.x_Day)
),

based AS (
    SELECT
        c.*,
        x_basis_amount(c.x_BasisCode, c.x_ShareFrac, c.ListCost, c.ContractedCost, c.EffectiveCost,
                       c.BilledCost) AS x_RowBasis
    FROM candidates c
    JOIN assigned a ON a.x_Rid = c.x_Rid AND a.x_AssignedTo = c.x_CustomerId
),

grouped AS (
    SELECT
        *,
        sum(x_RowBasis) OVER (PARTITION BY x_GroupId) AS x_GroupBasis,
        count(*) OVER (PARTITION BY x_GroupId) AS x_GroupRows,
        CASE WHEN $grain = 'row' THEN x_Rid END AS x_RowPart,
        ChargePeriodStart::DATE AS x_Day
    FROM based
),

visible AS (
    SELECT *
    FROM grouped
    WHERE $cost_groups::VARCHAR[] IS NULL
       OR list_contains($cost_groups::VARCHAR[], json_extract_string(Tags, 'cost_group'))
),

final AS (
    SELECT
        x_GroupId,
        x_Day,
        x_RowPart AS x_Rid,
        min(ChargePeriodStart) AS ChargePeriodStart,
        any_value(ProviderName) AS ProviderName,
        any_value(ServiceName) AS ServiceName,
        any_value(ServiceCategory) AS ServiceCategory,
        any_value(SkuId) AS SkuId,
        any_value(ResourceId) AS ResourceId,
        any_value(ResourceName) AS ResourceName,
        any_value(RegionId) AS RegionId,
        any_value(SubAccountId) AS SubAccountId,
        any_value(ChargeCategory) AS ChargeCategory,
        sum(ConsumedQuantity) AS ConsumedQuantity,
        any_value(ConsumedUnit) AS ConsumedUnit,
        any_value(BillingCurrency) AS BillingCurrency,
        CASE WHEN $show_list THEN sum(ListCost) END AS ListCost,
        CASE WHEN $show_cost THEN sum(BilledCost) END AS BilledCost,
        CASE WHEN $show_cost THEN sum(EffectiveCost) END AS EffectiveCost,
        sum(x_RowBasis) AS x_RowBasis,
        count(*) AS x_Rows,
        any_value(x_PriceBuyer) AS x_PriceBuyer,
        any_value(x_GroupBasis) AS x_GroupBasis,
        any_value(x_GroupRows) AS x_GroupRows,
        any_value(x_BuyerCurrency) AS x_BuyerCurrency
    FROM visible
    GROUP BY x_GroupId, x_Day, x_RowPart
)

SELECT * FROM final
ORDER BY x_Day, ChargePeriodStart, ProviderName, ServiceName, ResourceId, x_GroupId, x_Rid
LIMIT $limit
