-- rpt_customer_sub_accounts: the sub-accounts with priced rows on one buyer's edge, in any
-- billed period or in one (what a sub-account widget may offer, and what a choice is checked against).
-- Returns one row per SubAccountId (never NULL). Parameters: $seller VARCHAR, $buyer VARCHAR,
--   $customers VARCHAR[] (NULL = every end customer on the edge), $period DATE (NULL = all periods).
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer of each period's current run.
with runs as (
    select x_Period, run_id from rpt_current_runs
),

ledger as (
    select l.*
    from fct_ledger l
    join runs r on r.x_Period = l.x_Period and r.run_id = l.run_id
),

final as (
    select distinct SubAccountId
    from ledger
    where x_SellerId = $seller
      and x_BuyerId = $buyer
      and ($customers::VARCHAR[] is null or list_contains($customers::VARCHAR[], x_CustomerId))
      and ($period::DATE is null or x_Period = $period::DATE)
      and SubAccountId is not null
)

select * from final order by SubAccountId
