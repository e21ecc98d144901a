-- Everyone who can sign in, as streamlit-authenticator's credentials need them.
-- Returns: username, name, email, password_hash (bcrypt), roles. No parameters.
with users as (
    select username, name, email, password_hash, roles
    from cfg_users
),

final as (
    select * from users order by username
)

select * from final
