-- rpt_customer_rows: the FOCUS rows behind one buyer's edge and each row's share of its pricing
-- group's price (docs/pricing.md §8), at row grain or summed per (pricing group, day).
-- A row's price = the group's x_PriceBuyer × the row's basis amount / the group's basis amount
-- (x_Rows / x_GroupRows when the group's basis sums to 0). DuckDB divides DECIMALs in DOUBLE, so
-- the caller (queries.scope) does that one division in Decimal; everything here stays DECIMAL.
-- Rows reach their group through rpt_edge_rows (migration 021), the one join of landed rows to
-- a run's groups: by the run's own decisions (the customer of the row's account, the basis the
-- edge was priced on), never by today's configuration, so two customers sharing a pricing key
-- never see each other's rows and the rows add up to the run's ledger after any configuration
-- change. This statement neither cuts a key nor decides a basis.
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
WITH edge_rows AS (
    SELECT *
    FROM rpt_edge_rows($period::DATE, $seller::VARCHAR, $buyer::VARCHAR, $customers::VARCHAR[],
                       $sub_account::VARCHAR, $service::VARCHAR, true)
),

grouped AS (
    SELECT
        *,
        sum(x_RowBasis) OVER (PARTITION BY x_GroupId) AS x_GroupBasis,
        count(*) OVER (PARTITION BY x_GroupId) AS x_GroupRows,
        CASE WHEN $grain = 'row' THEN x_Rid END AS x_RowPart
    FROM edge_rows
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
