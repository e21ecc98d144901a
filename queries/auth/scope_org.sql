-- scope_org: one organisation (the signed-in user's, or a buyer being checked).
-- Returns at most one row: id, name, kind, parent, currency, depth, is_root.
-- Parameters: $org VARCHAR.
-- Scope rule: none; names and kinds are not money. Callers decide what the row lets a user see.
WITH orgs AS (
    SELECT * FROM cfg_organizations WHERE id = $org
),

final AS (
    SELECT id, name, kind, parent, currency, depth, parent IS NULL AS is_root
    FROM orgs
)

SELECT * FROM final
