-- scope_root: the organisation at the top of the tree (the one running Tierline).
-- Returns the root's id (one row; none before a configuration is imported). No parameters.
-- Scope rule: none.
WITH orgs AS (
    SELECT id, parent FROM cfg_organizations
),

final AS (
    SELECT id FROM orgs WHERE parent IS NULL
)

SELECT * FROM final ORDER BY id
