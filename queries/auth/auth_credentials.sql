-- Everyone who can sign in, as streamlit-authenticator's credentials need them.
-- Returns: username, name, email, password_hash (bcrypt), roles. No parameters.
WITH users AS (
    SELECT username, name, email, password_hash, roles
    FROM cfg_users
),

final AS (
    SELECT * FROM users ORDER BY username
)

SELECT * FROM final
