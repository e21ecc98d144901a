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
WITH RECURSIVE orgs AS (
    SELECT id, name, kind, parent, currency FROM cfg_organizations
),

assigned_and_above(id, parent) AS (
    SELECT id, parent FROM orgs WHERE list_contains($customers::VARCHAR[], id)
    UNION
    SELECT o.id, o.parent FROM orgs o JOIN assigned_and_above a ON o.id = a.parent
),

buyers AS (
    SELECT o.*, 0 AS x_Order
    FROM orgs o
    WHERE $seller_view
      AND o.parent = $org
      AND ($customers::VARCHAR[] IS NULL OR o.id IN (SELECT id FROM assigned_and_above))
),

own AS (
    SELECT o.*, 1 AS x_Order
    FROM orgs o
    WHERE $buyer_view AND o.id = $org AND o.parent IS NOT NULL
),

final AS (
    SELECT id, name, currency, parent, kind, x_Order FROM buyers
    UNION ALL
    SELECT id, name, currency, parent, kind, x_Order FROM own
)

SELECT id, name, currency, parent, kind FROM final ORDER BY x_Order, name, id
