-- scope_buyers: the organisations whose money a user may open as "customers" (their edge to
-- their parent): the user's organisation's direct buyers, and the organisation itself.
-- Returns id, name, currency, parent, kind; direct buyers by name first, the own organisation last.
-- Parameters: $org VARCHAR (the user's organisation);
--   $seller_view BOOLEAN (may see edges $org sells on);
--   $customers VARCHAR[] (NULL = every direct buyer; else only buyers that are, or are above,
--     an assigned customer: account managers);
--   $buyer_view BOOLEAN (may see the edge $org buys on; never for the root, which has no parent).
-- Scope rule: buyers are children of $org only, never grandchildren: a distributor does not see
-- the prices its resellers charge.
with recursive orgs as (
    select id, name, kind, parent, currency from cfg_organizations
),

assigned_and_above(id, parent) as (
    select id, parent from orgs where list_contains($customers::VARCHAR[], id)
    union
    select o.id, o.parent from orgs o join assigned_and_above a on o.id = a.parent
),

buyers as (
    select o.*, 0 as x_Order
    from orgs o
    where $seller_view
      and o.parent = $org
      and ($customers::VARCHAR[] is null or o.id in (select id from assigned_and_above))
),

own as (
    select o.*, 1 as x_Order
    from orgs o
    where $buyer_view and o.id = $org and o.parent is not null
),

final as (
    select id, name, currency, parent, kind, x_Order from buyers
    union all
    select id, name, currency, parent, kind, x_Order from own
)

select id, name, currency, parent, kind from final order by x_Order, name, id
