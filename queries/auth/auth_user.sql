-- One user and the organisation they belong to, for the signed-in header and the guard.
-- Returns: username, name, email, org, org_name, org_kind, org_is_root, roles.
-- Parameters: $1 username.
WITH users AS (
    SELECT * FROM cfg_users WHERE lower(username) = lower($1)
),

orgs AS (
    SELECT id, name, kind, parent FROM cfg_organizations
),

final AS (
    SELECT
        u.username,
        u.name,
        u.email,
        u.org,
        coalesce(o.name, u.org) AS org_name,
        o.kind                  AS org_kind,
        coalesce(o.parent IS NULL, FALSE) AS org_is_root,
        u.roles
    FROM users u
    LEFT JOIN orgs o ON o.id = u.org
)

SELECT * FROM final
