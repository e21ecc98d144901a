-- rpt_commit_covered: the customers whose usage each commitment covered in a period, and the
-- single-customer rule (DOMAIN §9): covered usage (CommitmentDiscountStatus 'Used') of a customer
-- other than the customer owning the commitment is a violation. From the current run's
-- fct_commitments (migration 018): the customers are the run's own decisions.
-- Returns one row per (CommitmentDiscountId, ProviderName, BillingCurrency, x_CustomerId,
--   x_Violation): x_OwnerCustomerId, x_RowCount, effective_cost (EffectiveCost: amortised cost
--   covered), list_cost (ListCost: its on-demand value), DECIMAL. x_CustomerId NULL: unassigned
--   usage (never a violation: nobody to compare). x_Violation: the owner is known
--   (x_OwnerSource set) and the usage's customer is not the owner's customer (an owner in an
--   unassigned account covering a customer's usage counts: the benefit left the account that
--   bought it for a customer who does not own it).
-- Parameters: $period DATE.
-- Scope rule: queries.reports.commitments keeps only commitments rpt_commit_inventory returned
--   for the user and names only customers the user may see.
WITH runs AS (
    SELECT run_id FROM rpt_current_runs WHERE x_Period = $period::DATE
),

used AS (
    SELECT f.*
    FROM fct_commitments f
    JOIN runs r ON r.run_id = f.run_id
    WHERE f.CommitmentDiscountStatus = 'Used'
),

final AS (
    SELECT
        CommitmentDiscountId, ProviderName, BillingCurrency, x_CustomerId,
        (x_OwnerSource IS NOT NULL AND x_CustomerId IS NOT NULL
         AND x_CustomerId IS DISTINCT FROM x_OwnerCustomerId) AS x_Violation,
        any_value(x_OwnerCustomerId) AS x_OwnerCustomerId,
        sum(x_RowCount) AS x_RowCount,
        sum(EffectiveCost) AS effective_cost,
        sum(ListCost) AS list_cost
    FROM used
    GROUP BY ALL
)

SELECT * FROM final ORDER BY ProviderName, CommitmentDiscountId, BillingCurrency, x_CustomerId NULLS LAST
