-- One user and the organisation they belong to, for the signed-in header and the guard.
-- Returns: username, name, email, org, org_name, org_kind, org_is_root, roles.
-- Parameters: $1 username.
with users as (
    select * from cfg_users where lower(username) = lower($1)
),

orgs as (
    select id, name, kind, parent from cfg_organizations
),

final as (
    select
        u.username,
        u.name,
        u.email,
        u.org,
        coalesce(o.name, u.org) as org_name,
        o.kind                  as org_kind,
        coalesce(o.parent is null, false) as org_is_root,
        u.roles
    from users u
    left join orgs o on o.id = u.org
)

select * from final
