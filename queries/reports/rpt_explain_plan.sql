-- rpt_explain_plan: a buyer's price plan as the billing run priced with it: the plan `$plan_id`
-- in the configuration version `$version` the run used (cfg_documents keeps every version,
-- cfg_document_plans its plans one row each: migration 026), or,
-- only when that version is not stored (a run recorded without one), the plan as today's
-- configuration has it (cfg_plans.definition) — `source` says which.
-- Returns at most one row: version (NULL for today's), source ('run' | 'today'), plan (the plan
--   as the document writes it: JSON text with id, owner, name, rules, credits, tiers, fees,
--   commitments).
-- Parameters: $version BIGINT (billing_runs.config_version, may be NULL), $plan_id VARCHAR.
-- Scope rule: the caller (queries.reports.explain) asks only for the plan stored on the edge the
--   user may see (fct_edges / fct_prices.x_PlanId of the buyer's own edge).
WITH from_run AS (   -- the version's plans, kept one row a plan (migration 026)
    SELECT version, 'run' AS source, definition::VARCHAR AS plan, x_PlanNo
    FROM cfg_document_plans
    WHERE version = $version::BIGINT AND plan_id = $plan_id::VARCHAR
    ORDER BY x_PlanNo
    LIMIT 1
),

from_today AS (
    SELECT NULL::BIGINT AS version, 'today' AS source, definition::VARCHAR AS plan
    FROM cfg_plans
    WHERE id = $plan_id::VARCHAR
      AND NOT EXISTS (SELECT 1 FROM from_run)
),

final AS (
    SELECT version, source, plan FROM from_run
    UNION ALL
    SELECT * FROM from_today
)

SELECT * FROM final
LIMIT 1
