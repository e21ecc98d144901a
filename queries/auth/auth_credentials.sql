-- Everyone who can sign in, as streamlit-authenticator's credentials need them: deactivated
-- users (cfg_user_flags.active = false, migration 023) are left out, so sign-in treats them as
-- unknown usernames.
-- Returns: username, name, email, password_hash (bcrypt), roles. No parameters.
WITH users AS (
    SELECT u.username, u.name, u.email, u.password_hash, u.roles
    FROM cfg_users u
    LEFT JOIN cfg_user_flags f ON f.username = u.username
    WHERE coalesce(f.active, TRUE)
),

final AS (
    SELECT * FROM users ORDER BY username
)

SELECT * FROM final
