-- scope_org: one organisation (the signed-in user's, or a buyer being checked).
-- Returns at most one row: id, name, kind, parent, currency, depth, is_root.
-- Parameters: $org VARCHAR.
-- Scope rule: none; names and kinds are not money. Callers decide what the row lets a user see.
with orgs as (
    select * from cfg_organizations where id = $org
),

final as (
    select id, name, kind, parent, currency, depth, parent is null as is_root
    from orgs
)

select * from final
