-- scope_user: one user and whether their organisation exists, to build a queries.scope.Scope.
-- Returns at most one row: username, org, roles, customers, cost_groups, org_known.
-- Parameters: $username VARCHAR.
-- Scope rule: none; this is where a scope comes from. An unknown username returns no row.
with users as (
    select * from cfg_users where username = $username
),

orgs as (
    select id from cfg_organizations
),

final as (
    select
        u.username,
        u.org,
        u.roles,
        u.customers,
        u.cost_groups,
        o.id is not null as org_known
    from users u
    left join orgs o on o.id = u.org
)

select * from final
