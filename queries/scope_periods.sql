-- scope_periods: billing periods with a successful billing run, and that period's current run
-- (the latest successful one). Returns x_Period, run_id; newest period first. No parameters.
-- Scope rule: none; which months were billed is not money.
with runs as (
    select x_Period, run_id from billing_runs where status = 'ok'
),

final as (
    select x_Period, max(run_id) as run_id from runs group by x_Period
)

select * from final order by x_Period desc
