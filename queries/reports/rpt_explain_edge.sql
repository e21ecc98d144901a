-- rpt_explain_edge: the terms the period's current billing run priced one edge with, as it
-- stored them (fct_edges, migration 009): the buyer's plan, its credit and commitment policies.
-- Returns one row per distinct set of terms (one: a run prices an edge on one plan; none before
--   the period is billed): plan_id, buyer_ccy, credits, commitments, share_frac, run_id,
--   config_version.
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge); $customers VARCHAR[]
--   (NULL = every end customer on the edge).
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer of the current run only; the
--   caller checks the user may see it. The seller's own plan (the edge above) is never read.
WITH runs AS (
    SELECT r.run_id, b.config_version
    FROM rpt_current_runs r
    JOIN billing_runs b ON b.run_id = r.run_id
    WHERE r.x_Period = $period::DATE
),

final AS (
    SELECT DISTINCT e.plan_id, e.buyer_ccy, e.credits, e.commitments, e.share_frac, r.run_id,
           r.config_version
    FROM fct_edges e
    JOIN runs r ON r.run_id = e.run_id
    WHERE e.x_SellerId = $seller
      AND e.x_BuyerId = $buyer
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], e.x_CustomerId))
)

SELECT * FROM final
ORDER BY plan_id
