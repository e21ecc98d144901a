-- rpt_margin: one organisation's revenue and cost on its own selling edges for one period, from
-- its own point of view (docs/pricing.md §9), in total or broken down.
-- Returns one row per (k1, k2, currency): k1, k2 (the breakdown keys, see $by), currency,
--   revenue (Σ of rounded invoice amounts: subtotals for 'total'/'customer', non-tax lines for
--   'provider'/'service'), cost (Σ ledger(x_Cost × x_FxRate): the seller's cost converted at the
--   period rate into the invoice currency, UNROUNDED; the caller rounds it once).
-- Parameters: $org VARCHAR (the seller); $period DATE; $customers VARCHAR[] (NULL = every buyer,
--   else only these buyers: account managers); $by: 'total' (k1, k2 NULL) | 'customer'
--   (k1 = buyer) | 'provider' (k1 = ProviderName, '(fees)' for fee lines) | 'service'
--   (k1 = ProviderName, k2 = ServiceName, '(credits)' for passed credits, the fee's name for fees).
-- Scope rule: invoices with seller = $org and ledger edges with x_SellerId = $org only: never an
--   edge $org buys on (a reseller never sees its distributor's cost) and never an edge below its
--   buyers (a distributor never sees its resellers' prices).
with runs as (
    select x_Period, run_id from rpt_current_runs
),

current_invoices as (
    select * from rpt_current_invoices where x_Period = $period::DATE
),

lines_all as (
    select * from invoice_lines
),

ledger_all as (
    select l.*
    from fct_ledger l
    join runs r on r.x_Period = l.x_Period and r.run_id = l.run_id
    where l.x_Period = $period::DATE
),

sold as (
    select *
    from current_invoices
    where seller = $org
      and ($customers::VARCHAR[] is null or list_contains($customers::VARCHAR[], buyer))
),

sold_lines as (
    select l.*, s.buyer, s.currency
    from lines_all l
    join sold s on s.invoice_id = l.invoice_id
    where l.kind <> 'tax'
),

selling_edges as (
    select *
    from ledger_all
    where x_SellerId = $org
      and ($customers::VARCHAR[] is null or list_contains($customers::VARCHAR[], x_BuyerId))
),

revenue_items as (
    select
        case when $by = 'customer' then buyer end as k1,
        cast(null as VARCHAR) as k2,
        currency,
        subtotal as amount
    from sold
    where $by in ('total', 'customer')
    union all
    select
        coalesce(ProviderName, '(fees)') as k1,
        case when $by = 'service' then
            case kind when 'service' then ServiceName when 'credit' then '(credits)' else description end
        end as k2,
        currency,
        amount
    from sold_lines
    where $by in ('provider', 'service')
),

cost_items as (
    select
        case $by when 'customer' then x_BuyerId
                 when 'provider' then ProviderName
                 when 'service' then ProviderName end as k1,
        case when $by = 'service' then
            case when x_Treatment = 'passed_credit' then '(credits)' else ServiceName end
        end as k2,
        x_BuyerCurrency as currency,
        cast(x_Cost * x_FxRate as DECIMAL(38, 10)) as amount
    from selling_edges
),

revenue as (
    select k1, k2, currency, sum(amount) as revenue from revenue_items group by all
),

cost as (
    select k1, k2, currency, sum(amount) as cost from cost_items group by all
),

final as (
    select
        coalesce(r.k1, c.k1) as k1,
        coalesce(r.k2, c.k2) as k2,
        coalesce(r.currency, c.currency) as currency,
        coalesce(r.revenue, cast(0 as DECIMAL(38, 10))) as revenue,
        coalesce(c.cost, cast(0 as DECIMAL(38, 10))) as cost
    from revenue r
    full outer join cost c
      on r.k1 is not distinct from c.k1
     and r.k2 is not distinct from c.k2
     and r.currency = c.currency
)

select * from final order by k1 nulls first, k2 nulls first, currency
