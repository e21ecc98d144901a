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
with runs as (
    select r.run_id, b.tag_keys
    from rpt_current_runs r
    join billing_runs b on b.run_id = r.run_id
    where r.x_Period = $period::DATE
),

ledger as (
    select l.*
    from fct_ledger l
    join runs r on r.run_id = l.run_id
    where l.x_Period = $period::DATE
),

landing as not materialized (   -- read once, by candidates: never copied
    select
        rowid as x_Rid,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId, ServiceCategory, ServiceName,
        SkuId, RegionId, ChargeCategory, ChargeClass, CommitmentDiscountStatus,
        CommitmentDiscountId is not null as x_Commitment, BillingCurrency,
        ChargePeriodStart, ResourceId, ResourceName, ConsumedQuantity, ConsumedUnit, Tags,
        ListCost, ContractedCost, BilledCost, EffectiveCost
    from landing_focus
    where x_Period = $period::DATE and ChargeCategory <> 'Tax'
),

accounts as (   -- the customer of each account, as the run decided
    select a.*
    from fct_accounts a
    join runs r on r.run_id = a.run_id
),

target as (
    select row_number() over () as x_GroupId, *
    from ledger
    where x_SellerId = $seller
      and x_BuyerId = $buyer
      and ($customers::VARCHAR[] is null or list_contains($customers::VARCHAR[], x_CustomerId))
      and ($sub_account::VARCHAR is null or SubAccountId = $sub_account::VARCHAR)
      and ($service::VARCHAR is null or ServiceName = $service::VARCHAR)
),

coded as (
    select
        x_GroupId, x_CustomerId, x_PriceBuyer, x_BuyerCurrency,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId, ServiceCategory,
        ServiceName, SkuId, RegionId, ChargeCategory, ChargeClass,
        CommitmentDiscountStatus, x_Commitment, BillingCurrency,
        x_BasisCode, x_ShareFrac
    from target
),

candidates as materialized (   -- the landed rows with a target group's pricing key (docs/pricing.md §2)
    select r.*, c.x_GroupId, c.x_CustomerId, c.x_PriceBuyer, c.x_BuyerCurrency, c.x_BasisCode, c.x_ShareFrac
    from landing r
    join coded c
      on c.ProviderName = r.ProviderName
     and c.BillingAccountId = r.BillingAccountId
     and c.ServiceName = r.ServiceName
     and c.ServiceCategory = r.ServiceCategory
     and c.ChargeCategory = r.ChargeCategory
     and c.BillingCurrency = r.BillingCurrency
     and c.x_Commitment = r.x_Commitment
     and c.SubAccountId is not distinct from r.SubAccountId
     and c.InvoiceId is not distinct from r.InvoiceId
     and c.SkuId is not distinct from r.SkuId
     and c.RegionId is not distinct from r.RegionId
     and c.ChargeClass is not distinct from r.ChargeClass
     and c.CommitmentDiscountStatus is not distinct from r.CommitmentDiscountStatus
),

candidate_rows as (
    select distinct x_Rid, ProviderName, BillingAccountId, SubAccountId, Tags,
           ChargePeriodStart::DATE as x_Day
    from candidates
),

assigned as (   -- the run's customer for each row: its account (and day, where the run cut by day)
    select r.x_Rid, a.x_CustomerId as x_AssignedTo
    from candidate_rows r
    cross join runs k
    join accounts a
      on a.ProviderName = r.ProviderName
     and a.BillingAccountId = r.BillingAccountId
     and a.SubAccountId is not distinct from r.SubAccountId
     and a.x_TagValues is not distinct from
         (case when len(k.tag_keys) > 0 and r.Tags is not null    -- as landing_groups_insert cut them
               then list_transform(k.tag_keys, lambda t: json_extract_string(r.Tags, t)) end)
     and (a.x_Day is null or a.x_Day = r.x_Day)
),

based as (
    select
        c.*,
        x_basis_amount(c.x_BasisCode, c.x_ShareFrac, c.ListCost, c.ContractedCost, c.EffectiveCost,
                       c.BilledCost) as x_RowBasis
    from candidates c
    join assigned a on a.x_Rid = c.x_Rid and a.x_AssignedTo = c.x_CustomerId
),

grouped as (
    select
        *,
        sum(x_RowBasis) over (partition by x_GroupId) as x_GroupBasis,
        count(*) over (partition by x_GroupId) as x_GroupRows,
        case when $grain = 'row' then x_Rid end as x_RowPart,
        ChargePeriodStart::DATE as x_Day
    from based
),

visible as (
    select *
    from grouped
    where $cost_groups::VARCHAR[] is null
       or list_contains($cost_groups::VARCHAR[], json_extract_string(Tags, 'cost_group'))
),

final as (
    select
        x_GroupId,
        x_Day,
        x_RowPart as x_Rid,
        min(ChargePeriodStart) as ChargePeriodStart,
        any_value(ProviderName) as ProviderName,
        any_value(ServiceName) as ServiceName,
        any_value(ServiceCategory) as ServiceCategory,
        any_value(SkuId) as SkuId,
        any_value(ResourceId) as ResourceId,
        any_value(ResourceName) as ResourceName,
        any_value(RegionId) as RegionId,
        any_value(SubAccountId) as SubAccountId,
        any_value(ChargeCategory) as ChargeCategory,
        sum(ConsumedQuantity) as ConsumedQuantity,
        any_value(ConsumedUnit) as ConsumedUnit,
        any_value(BillingCurrency) as BillingCurrency,
        case when $show_list then sum(ListCost) end as ListCost,
        case when $show_cost then sum(BilledCost) end as BilledCost,
        case when $show_cost then sum(EffectiveCost) end as EffectiveCost,
        sum(x_RowBasis) as x_RowBasis,
        count(*) as x_Rows,
        any_value(x_PriceBuyer) as x_PriceBuyer,
        any_value(x_GroupBasis) as x_GroupBasis,
        any_value(x_GroupRows) as x_GroupRows,
        any_value(x_BuyerCurrency) as x_BuyerCurrency
    from visible
    group by x_GroupId, x_Day, x_RowPart
)

select * from final
order by x_Day, ChargePeriodStart, ProviderName, ServiceName, ResourceId, x_GroupId, x_Rid
limit $limit
