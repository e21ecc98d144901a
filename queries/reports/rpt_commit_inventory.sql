-- rpt_commit_inventory: the commitment inventory of a period (issue #15): one row per commitment
-- (CommitmentDiscountId, provider, currency) as the period's current billing run recorded it
-- (fct_commitments, migration 018).
-- Returns CommitmentDiscountId, ProviderName, BillingCurrency, CommitmentDiscountType,
--   CommitmentDiscountCategory, CommitmentDiscountName, x_OwnerBillingAccountId,
--   x_OwnerSubAccountId, x_OwnerCustomerId, x_OwnerSource, x_RowCount, and DECIMAL sums:
--   purchase_cost (BilledCost of its Purchase rows: what the provider invoiced this period),
--   used_cost (EffectiveCost of its Used rows: amortised cost of the usage it covered),
--   used_list_cost (ListCost of those rows: their on-demand value),
--   unused_cost (EffectiveCost of its Unused rows: the waste),
--   amortized_cost (used_cost + unused_cost).
--   Utilisation = used_cost / amortized_cost is computed by the caller in Decimal.
-- Parameters: $period DATE; $visible VARCHAR[] (NULL: every commitment; else only commitments
--   owned by one of these customers or, unless $owned_only, covering usage of one of them);
--   $owned_only BOOLEAN (a customer sees the commitments it owns, never another's).
-- Scope rule: queries.reports.commitments passes the customers the user may see; provider
--   amounts of a commitment are shown only to users who may see one of its customers.
WITH runs AS (
    SELECT run_id FROM rpt_current_runs WHERE x_Period = $period::DATE
),

commitments AS (
    SELECT f.*
    FROM fct_commitments f
    JOIN runs r ON r.run_id = f.run_id
),

visible AS (
    SELECT DISTINCT CommitmentDiscountId, ProviderName
    FROM commitments
    WHERE $visible::VARCHAR[] IS NULL
       OR list_contains($visible::VARCHAR[], x_OwnerCustomerId)
       OR (NOT $owned_only AND CommitmentDiscountStatus = 'Used'
           AND list_contains($visible::VARCHAR[], x_CustomerId))
),

final AS (
    SELECT
        c.CommitmentDiscountId, c.ProviderName, c.BillingCurrency,
        max(c.CommitmentDiscountType) AS CommitmentDiscountType,
        max(c.CommitmentDiscountCategory) AS CommitmentDiscountCategory,
        max(c.CommitmentDiscountName) AS CommitmentDiscountName,
        any_value(c.x_OwnerBillingAccountId) AS x_OwnerBillingAccountId,
        any_value(c.x_OwnerSubAccountId) AS x_OwnerSubAccountId,
        any_value(c.x_OwnerCustomerId) AS x_OwnerCustomerId,
        any_value(c.x_OwnerSource) AS x_OwnerSource,
        sum(c.x_RowCount) AS x_RowCount,
        coalesce(sum(c.BilledCost) FILTER (WHERE c.ChargeCategory = 'Purchase'), 0) AS purchase_cost,
        coalesce(sum(c.EffectiveCost) FILTER (WHERE c.CommitmentDiscountStatus = 'Used'), 0) AS used_cost,
        coalesce(sum(c.ListCost) FILTER (WHERE c.CommitmentDiscountStatus = 'Used'), 0) AS used_list_cost,
        coalesce(sum(c.EffectiveCost) FILTER (WHERE c.CommitmentDiscountStatus = 'Unused'), 0) AS unused_cost,
        coalesce(sum(c.EffectiveCost) FILTER (WHERE c.CommitmentDiscountStatus IN ('Used', 'Unused')), 0)
            AS amortized_cost
    FROM commitments c
    JOIN visible v ON v.CommitmentDiscountId = c.CommitmentDiscountId AND v.ProviderName = c.ProviderName
    GROUP BY c.CommitmentDiscountId, c.ProviderName, c.BillingCurrency
)

SELECT * FROM final ORDER BY ProviderName, CommitmentDiscountId, BillingCurrency
