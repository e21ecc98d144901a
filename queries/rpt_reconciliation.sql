-- rpt_reconciliation: each provider invoice of a period against what the billing run did with it
-- (docs/pricing.md §9, DOMAIN §8). The provider side comes from landing_focus, the other terms
-- from the current run's ledger and exceptions, independently, so `difference` is a real check.
-- Unit: the provider invoice (ProviderName, BillingAccountId, InvoiceId, BillingCurrency); rows
--   without an InvoiceId reconcile per billing account.
-- Returns one row per unit: ProviderName, BillingAccountId, InvoiceId, BillingCurrency,
--   provider_total (Σ BilledCost of every landed row), provider_tax (Σ BilledCost of Tax rows),
--   assigned (edge-1 BilledCost of groups other than retained credits), retained_credits
--   (edge-1 BilledCost of retained-credit groups), unassigned (fct_exceptions 'unassigned'),
--   difference = provider_total − assigned − unassigned − retained_credits − provider_tax.
-- Parameters: $period DATE.
-- Scope rule: the provider's own figures and the root's cost: queries.scope lets only admins and
--   leaders of the root organisation call it.
with runs as (
    select run_id from rpt_current_runs where x_Period = $period::DATE
),

landing as (
    select * from landing_focus where x_Period = $period::DATE
),

edge_one as (
    select l.*
    from fct_ledger l
    join runs r on r.run_id = l.run_id
    where l.x_Period = $period::DATE and l.x_Depth = 1
),

exceptions as (
    select e.*
    from fct_exceptions e
    join runs r on r.run_id = e.run_id
    where e.kind = 'unassigned'
),

provider as (
    select
        ProviderName, BillingAccountId, InvoiceId, BillingCurrency,
        sum(BilledCost) as provider_total,
        sum(case when ChargeCategory = 'Tax' then BilledCost else 0 end) as provider_tax
    from landing
    group by all
),

ledger_side as (
    select
        ProviderName, BillingAccountId, InvoiceId, BillingCurrency,
        sum(case when x_Treatment not in ('retained_credit', 'provider_tax') then BilledCost else 0 end) as assigned,
        sum(case when x_Treatment = 'retained_credit' then BilledCost else 0 end) as retained_credits
    from edge_one
    group by all
),

unassigned as (
    select ProviderName, BillingAccountId, InvoiceId, BillingCurrency, sum(BilledCost) as unassigned
    from exceptions
    group by all
),

units as (
    select ProviderName, BillingAccountId, InvoiceId, BillingCurrency from provider
    union
    select ProviderName, BillingAccountId, InvoiceId, BillingCurrency from ledger_side
    union
    select ProviderName, BillingAccountId, InvoiceId, BillingCurrency from unassigned
),

final as (
    select
        u.ProviderName,
        u.BillingAccountId,
        u.InvoiceId,
        u.BillingCurrency,
        coalesce(p.provider_total, 0) as provider_total,
        coalesce(l.assigned, 0) as assigned,
        coalesce(x.unassigned, 0) as unassigned,
        coalesce(l.retained_credits, 0) as retained_credits,
        coalesce(p.provider_tax, 0) as provider_tax,
        coalesce(p.provider_total, 0) - coalesce(l.assigned, 0) - coalesce(x.unassigned, 0)
            - coalesce(l.retained_credits, 0) - coalesce(p.provider_tax, 0) as difference
    from units u
    left join provider p on p.ProviderName = u.ProviderName and p.BillingAccountId = u.BillingAccountId
        and p.InvoiceId is not distinct from u.InvoiceId and p.BillingCurrency = u.BillingCurrency
    left join ledger_side l on l.ProviderName = u.ProviderName and l.BillingAccountId = u.BillingAccountId
        and l.InvoiceId is not distinct from u.InvoiceId and l.BillingCurrency = u.BillingCurrency
    left join unassigned x on x.ProviderName = u.ProviderName and x.BillingAccountId = u.BillingAccountId
        and x.InvoiceId is not distinct from u.InvoiceId and x.BillingCurrency = u.BillingCurrency
)

select * from final order by ProviderName, BillingAccountId, InvoiceId, BillingCurrency
