-- rpt_commit_policy: what each commitment policy did on an organisation's selling edges in a
-- period, per buyer, end customer and row currency (issue #15; docs/pricing.md §10). From the
-- current run's priced ledger: the basis each group and edge was
-- priced on (x_BasisCode, x_ShareFrac, mapped by x_basis_amount) against the FOCUS amounts:
--   covered_list     Σ ListCost of covered usage (Used): its on-demand value
--   covered_effective Σ EffectiveCost of covered usage: its amortised cost
--   saving_passed    Σ (ListCost − basis) over covered usage: the saving the buyer's basis carries
--   saving_retained  Σ (basis − EffectiveCost) over covered usage: the saving the seller keeps
--   waste_carried    Σ EffectiveCost of unused commitment priced at 0 (code Z): the seller's waste
--   waste_passed     Σ basis of unused commitment priced on (pass_through): the buyer's waste
--   purchase_billed  Σ BilledCost of commitment purchases; purchase_basis Σ their basis (0 unless
--                    the edge follows the seller's cost: cost-plus charges the purchase itself)
--   price_buyer      Σ x_PriceBuyer of these groups (buyer currency x_BuyerCurrency): what the
--                    buyer is invoiced for them after the rule's factor and tiers.
-- Amounts before the rule's factor and tiers, in BillingCurrency, DECIMAL; saving_passed +
-- saving_retained = covered_list − covered_effective exactly.
-- Returns x_BuyerId, x_CustomerId, BillingCurrency, x_BuyerCurrency, policy (the edge's plan
--   terms: pass_through | retain | share), share_pct, x_Basis (the rule basis, e.g. cost), the sums.
-- Parameters: $period DATE; $org VARCHAR (the seller); $customers VARCHAR[] (NULL: every end
--   customer; an account manager's assigned customers otherwise).
-- Scope rule: only edges x_SellerId = $org; queries.reports.commitments checks the user may read them.
WITH runs AS (
    SELECT run_id FROM rpt_current_runs WHERE x_Period = $period::DATE
),

ledger AS (
    SELECT l.*
    FROM fct_ledger l
    JOIN runs r ON r.run_id = l.run_id
    WHERE l.x_Period = $period::DATE
      AND l.x_SellerId = $org
      AND l.x_Treatment = 'priced'
      AND (l.x_Commitment OR l.CommitmentDiscountStatus IS NOT NULL)
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], l.x_CustomerId))
),

edges AS (
    SELECT e.*
    FROM fct_edges e
    JOIN runs r ON r.run_id = e.run_id
    WHERE e.x_SellerId = $org
),

based AS (
    SELECT
        l.*,
        x_basis_amount(l.x_BasisCode, l.x_ShareFrac, l.ListCost, l.ContractedCost, l.EffectiveCost,
                       l.BilledCost) AS x_RowBasis,
        e.commitments AS policy,
        e.share_frac
    FROM ledger l
    LEFT JOIN edges e ON e.x_CustomerId = l.x_CustomerId AND e.x_Depth = l.x_Depth
),

final AS (
    SELECT
        x_BuyerId, x_CustomerId, BillingCurrency, x_BuyerCurrency, policy,
        CAST(any_value(share_frac) * 100 AS DECIMAL(20,8)) AS share_pct,
        string_agg(DISTINCT x_Basis, ', ' ORDER BY x_Basis) AS x_Basis,
        coalesce(sum(ListCost) FILTER (WHERE CommitmentDiscountStatus = 'Used'), 0) AS covered_list,
        coalesce(sum(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Used'), 0) AS covered_effective,
        coalesce(sum(ListCost - x_RowBasis) FILTER (WHERE CommitmentDiscountStatus = 'Used'), 0) AS saving_passed,
        coalesce(sum(x_RowBasis - EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Used'), 0) AS saving_retained,
        coalesce(sum(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Unused' AND x_BasisCode = 'Z'), 0)
            AS waste_carried,
        coalesce(sum(x_RowBasis) FILTER (WHERE CommitmentDiscountStatus = 'Unused' AND x_BasisCode <> 'Z'), 0)
            AS waste_passed,
        coalesce(sum(BilledCost) FILTER (WHERE ChargeCategory = 'Purchase'), 0) AS purchase_billed,
        coalesce(sum(x_RowBasis) FILTER (WHERE ChargeCategory = 'Purchase'), 0) AS purchase_basis,
        sum(x_PriceBuyer) AS price_buyer
    FROM based
    GROUP BY x_BuyerId, x_CustomerId, BillingCurrency, x_BuyerCurrency, policy
)

SELECT * FROM final ORDER BY x_BuyerId, x_CustomerId, BillingCurrency
