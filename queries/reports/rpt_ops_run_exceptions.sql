-- rpt_ops_run_exceptions: what one billing run could not bill, grouped: rows it could not price
-- (no rule, no FX rate, no plan: kind <> 'unassigned', with the run's reason in `detail`) and
-- cost that maps to no customer (kind = 'unassigned'); largest cost first within each kind.
-- Returns kind, x_SellerId, x_BuyerId, ProviderName, BillingAccountId, SubAccountId, ServiceName,
--   BillingCurrency, detail, x_RowCount BIGINT, BilledCost DECIMAL (as delivered).
-- Parameters: $run_id BIGINT.
-- Scope rule: a run spans every tenant: data.console.operations lets only admins of the root
--   organisation call it.
WITH exceptions AS (
    SELECT * FROM fct_exceptions WHERE run_id = $run_id
),

grouped AS (
    SELECT
        kind, x_SellerId, x_BuyerId, ProviderName, BillingAccountId, SubAccountId, ServiceName,
        BillingCurrency, detail,
        sum(x_RowCount)::BIGINT AS x_RowCount,
        sum(BilledCost) AS BilledCost
    FROM exceptions
    GROUP BY ALL
),

final AS (
    SELECT * FROM grouped
)

SELECT * FROM final
ORDER BY kind = 'unassigned', kind, abs(BilledCost) DESC, ProviderName, BillingAccountId, SubAccountId
