-- rpt_customer_sub_accounts: the sub-accounts with priced rows on one buyer's edge, in any
-- billed period or in one (what a sub-account widget may offer, and what a choice is checked against).
-- Returns one row per SubAccountId (never NULL). Parameters: $seller VARCHAR, $buyer VARCHAR,
--   $customers VARCHAR[] (NULL = every end customer on the edge), $period DATE (NULL = all periods).
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer of each period's current run.
WITH runs AS (
    SELECT x_Period, run_id FROM rpt_current_runs
),

ledger AS (
    SELECT l.*
    FROM fct_ledger l
    JOIN runs r ON r.x_Period = l.x_Period AND r.run_id = l.run_id
),

final AS (
    SELECT DISTINCT SubAccountId
    FROM ledger
    WHERE x_SellerId = $seller
      AND x_BuyerId = $buyer
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], x_CustomerId))
      AND ($period::DATE IS NULL OR x_Period = $period::DATE)
      AND SubAccountId IS NOT NULL
)

SELECT * FROM final ORDER BY SubAccountId
