-- scope_root: the organisation at the top of the tree (the one running Tierline).
-- Returns the root's id (one row; none before a configuration is imported). No parameters.
-- Scope rule: none.
with orgs as (
    select id, parent from cfg_organizations
),

final as (
    select id from orgs where parent is null
)

select * from final order by id
