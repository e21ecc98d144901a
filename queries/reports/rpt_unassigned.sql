-- rpt_unassigned: cost that maps to no customer in a period (revenue leakage), per provider,
-- billing account and sub-account, from the current run's exceptions.
-- Returns ProviderName, BillingAccountId, SubAccountId, BillingCurrency, x_RowCount, BilledCost
--   (DECIMAL, the provider's charge nobody is billed for); largest first.
-- Parameters: $period DATE.
-- Scope rule: the root's own cost: queries.scope lets only admins and leaders of the root call it.
WITH runs AS (
    SELECT run_id FROM rpt_current_runs WHERE x_Period = $period::DATE
),

exceptions AS (
    SELECT e.*
    FROM fct_exceptions e
    JOIN runs r ON r.run_id = e.run_id
    WHERE e.kind = 'unassigned'
),

final AS (
    SELECT
        ProviderName, BillingAccountId, SubAccountId, BillingCurrency,
        sum(x_RowCount) AS x_RowCount,
        sum(BilledCost) AS BilledCost
    FROM exceptions
    GROUP BY ALL
)

SELECT * FROM final ORDER BY BilledCost DESC, ProviderName, BillingAccountId, SubAccountId
