-- scope_audit_ids: every organisation and plan id with the organisation it belongs to, for the
-- audit log's content check (queries.scope.audit_entries).
-- Returns id, owner: an organisation's owner is itself; a plan's owner is the organisation that
--   sells on it. Parameters: none.
-- Scope rule: none here; audit_entries withholds an entry's before/after/detail when they name an
--   id whose owner lies outside the reader's subtree.
WITH organisations AS (
    SELECT id, id AS owner FROM cfg_organizations
),

plans AS (
    SELECT id, owner FROM cfg_plans
),

final AS (
    SELECT * FROM organisations
    UNION ALL
    SELECT * FROM plans WHERE id NOT IN (SELECT id FROM organisations)
)

SELECT * FROM final
