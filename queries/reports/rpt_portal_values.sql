-- rpt_portal_values: what the portal's filters may offer for one buyer's month, read from the
-- FOCUS rows the buyer may see (the rows rpt_portal_spend sums): its sub-accounts, services,
-- regions, and every tag key on its rows with each value (NULL: the key is on some rows without a
-- value). A filter value from a widget or a URL is checked against exactly this list
-- (queries.reports.portal.check_filters).
-- Returns one row per (x_Kind, x_Key, x_Value): x_Kind 'sub_account' | 'service' | 'region' |
--   'tag'; x_Key the tag key (NULL for the others); x_Value the value.
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge); $customers VARCHAR[]
--   (NULL = every end customer on the edge); $cost_groups VARCHAR[] (NULL = every row, else rows
--   whose Tags cost_group is listed).
-- Scope rule: as rpt_portal_spend: the edge of the period's current run, checked by
--   queries.scope before calling; only the rows the run gave to the edge's customers.
WITH based AS (   -- the edge's rows, as the run gave them to its customers (migration 021)
    SELECT SubAccountId, ServiceName, RegionId, Tags
    FROM rpt_edge_rows($period::DATE, $seller::VARCHAR, $buyer::VARCHAR, $customers::VARCHAR[],
                       NULL, NULL, false)
),

visible AS MATERIALIZED (
    SELECT SubAccountId, ServiceName, RegionId, Tags
    FROM based
    WHERE $cost_groups::VARCHAR[] IS NULL
       OR list_contains($cost_groups::VARCHAR[], json_extract_string(Tags, 'cost_group'))
),

tag_keys AS (
    SELECT DISTINCT Tags, unnest(json_keys(Tags)) AS x_Key
    FROM visible
    WHERE Tags IS NOT NULL AND json_type(Tags) = 'OBJECT'
),

final AS (
    SELECT DISTINCT 'sub_account' AS x_Kind, NULL::VARCHAR AS x_Key, SubAccountId AS x_Value
    FROM visible WHERE SubAccountId IS NOT NULL
    UNION
    SELECT DISTINCT 'service', NULL, ServiceName FROM visible
    UNION
    SELECT DISTINCT 'region', NULL, RegionId FROM visible WHERE RegionId IS NOT NULL
    UNION
    SELECT DISTINCT 'tag', x_Key,   -- the key as a JSON pointer: '~' and '/' escaped (RFC 6901)
           nullif(json_extract_string(Tags, '/' || replace(replace(x_Key, '~', '~0'), '/', '~1')), '')
    FROM tag_keys
)

SELECT * FROM final ORDER BY x_Kind, x_Key, x_Value NULLS FIRST
