-- rpt_margin_orgs: names and margin floors of organisations, for the margin report's labels and
-- flags (docs/pricing.md §9): names from cfg_organizations, floors from the configuration
-- document in force (cfg_documents: the document is where the optional floor is stored).
-- Returns one row per configured organisation in $ids: id, name, margin_floor_pct
--   (DECIMAL(9,4), NULL where the document sets none: the optional `margin_floor_pct` of the
--   root or an organisation, docs/config.md); ordered by id.
-- Parameters: $ids VARCHAR[] (the organisations asked about).
-- Scope rule: names and floors only, of the ids the caller passes (queries/reports/margins.py
--   passes the user's own organisation and its subtree); no money.
WITH doc AS (
    SELECT document::JSON AS d
    FROM cfg_documents
    ORDER BY version DESC
    LIMIT 1
),

orgs AS (
    SELECT d -> 'root' AS o FROM doc
    UNION ALL
    SELECT unnest(from_json(d -> 'organizations', '["JSON"]')) AS o FROM doc
),

floors AS (
    SELECT
        o ->> 'id' AS id,
        CAST(o ->> 'margin_floor_pct' AS DECIMAL(9, 4)) AS margin_floor_pct
    FROM orgs
),

final AS (
    SELECT c.id, c.name, f.margin_floor_pct
    FROM cfg_organizations c
    LEFT JOIN floors f ON f.id = c.id
)

SELECT * FROM final WHERE list_contains($ids::VARCHAR[], id) ORDER BY id
