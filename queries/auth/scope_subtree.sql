-- scope_subtree: an organisation and every organisation below it (its usage visibility).
-- Returns one row per organisation id. Parameters: $org VARCHAR.
-- Scope rule: this computes Scope.visible_orgs; UNION (not UNION ALL) stops on a malformed cycle.
WITH RECURSIVE orgs AS (
    SELECT id, parent FROM cfg_organizations
),

subtree(id) AS (
    SELECT id FROM orgs WHERE id = $org
    UNION
    SELECT o.id FROM orgs o JOIN subtree s ON o.parent = s.id
),

final AS (
    SELECT id FROM subtree
)

SELECT * FROM final ORDER BY id
