-- One user and the organisation they belong to, for the signed-in header and the guard.
-- Returns: username, name, email, org, org_name, org_kind, org_is_root, roles, active,
--   must_change_password (cfg_user_flags, migration 023; no row: active, no change required).
-- Parameters: $1 username.
WITH users AS (
    SELECT * FROM cfg_users WHERE lower(username) = lower($1)
),

orgs AS (
    SELECT id, name, kind, parent FROM cfg_organizations
),

flags AS (
    SELECT username, active, must_change_password FROM cfg_user_flags
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
        u.roles,
        coalesce(f.active, TRUE)                AS active,
        coalesce(f.must_change_password, FALSE) AS must_change_password
    FROM users u
    LEFT JOIN orgs o ON o.id = u.org
    LEFT JOIN flags f ON f.username = u.username
)

SELECT * FROM final
