-- rpt_unassigned: cost that maps to no customer in a period (revenue leakage), per provider,
-- billing account and sub-account, from the current run's exceptions.
-- Returns ProviderName, BillingAccountId, SubAccountId, BillingCurrency, x_RowCount, BilledCost
--   (DECIMAL, the provider's charge nobody is billed for); largest first.
-- Parameters: $period DATE.
-- Scope rule: the root's own cost: queries.scope lets only admins and leaders of the root call it.
with runs as (
    select run_id from rpt_current_runs where x_Period = $period::DATE
),

exceptions as (
    select e.*
    from fct_exceptions e
    join runs r on r.run_id = e.run_id
    where e.kind = 'unassigned'
),

final as (
    select
        ProviderName, BillingAccountId, SubAccountId, BillingCurrency,
        sum(x_RowCount) as x_RowCount,
        sum(BilledCost) as BilledCost
    from exceptions
    group by all
)

select * from final order by BilledCost desc, ProviderName, BillingAccountId, SubAccountId
