-- scope_user: one user and whether their organisation exists, to build a queries.scope.Scope.
-- Returns at most one row: username, org, roles, customers, cost_groups, org_known.
-- Parameters: $username VARCHAR.
-- Scope rule: none; this is where a scope comes from. An unknown username returns no row.
WITH users AS (
    SELECT * FROM cfg_users WHERE username = $username
),

orgs AS (
    SELECT id FROM cfg_organizations
),

final AS (
    SELECT
        u.username,
        u.org,
        u.roles,
        u.customers,
        u.cost_groups,
        o.id IS NOT NULL AS org_known
    FROM users u
    LEFT JOIN orgs o ON o.id = u.org
)

SELECT * FROM final
