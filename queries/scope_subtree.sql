-- scope_subtree: an organisation and every organisation below it (its usage visibility).
-- Returns one row per organisation id. Parameters: $org VARCHAR.
-- Scope rule: this computes Scope.visible_orgs; UNION (not UNION ALL) stops on a malformed cycle.
with recursive orgs as (
    select id, parent from cfg_organizations
),

subtree(id) as (
    select id from orgs where id = $org
    union
    select o.id from orgs o join subtree s on o.parent = s.id
),

final as (
    select id from subtree
)

select * from final order by id
