-- rpt_customer_costs: one buyer's month at its own price, summed by one dimension, from the
-- priced ledger at group grain (docs/pricing.md §2). Fees are invoice lines, not ledger rows,
-- so they are not in this breakdown; the month total is always the invoice (customer_summary).
-- Returns one row per dimension value: ProviderName, ServiceName, SubAccountId, RegionId,
--   ServiceCategory (only the columns $by names are set, the others are NULL), x_BuyerCurrency,
--   price (Σ x_PriceBuyer, DECIMAL(38,10), unrounded), x_RowCount.
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge);
--   $customers VARCHAR[] (NULL = every end customer on the edge, else only these: account
--   managers); $sub_account VARCHAR (NULL = all);
--   $by: 'service' | 'provider' | 'sub_account' | 'region' | 'category'.
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer of the period's current run
--   only; queries.scope checks the user may see that edge before calling. Reads x_PriceBuyer
--   (the buyer's price) and nothing of the seller's cost.
with runs as (
    select run_id from rpt_current_runs where x_Period = $period::DATE
),

ledger as (
    select l.*
    from fct_ledger l
    join runs r on r.run_id = l.run_id
    where l.x_Period = $period::DATE
),

edge as (
    select *
    from ledger
    where x_SellerId = $seller
      and x_BuyerId = $buyer
      and ($customers::VARCHAR[] is null or list_contains($customers::VARCHAR[], x_CustomerId))
      and ($sub_account::VARCHAR is null or SubAccountId = $sub_account::VARCHAR)
),

dimensioned as (
    select
        case when $by in ('service', 'provider') then ProviderName end as ProviderName,
        case when $by = 'service' then ServiceName end as ServiceName,
        case when $by = 'sub_account' then SubAccountId end as SubAccountId,
        case when $by = 'region' then RegionId end as RegionId,
        case when $by = 'category' then ServiceCategory end as ServiceCategory,
        x_BuyerCurrency,
        x_PriceBuyer,
        x_RowCount
    from edge
),

final as (
    select
        ProviderName, ServiceName, SubAccountId, RegionId, ServiceCategory, x_BuyerCurrency,
        sum(x_PriceBuyer) as price,
        sum(x_RowCount) as x_RowCount
    from dimensioned
    group by all
)

select * from final order by price desc, ProviderName, ServiceName, SubAccountId, RegionId, ServiceCategory
