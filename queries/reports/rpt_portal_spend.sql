-- rpt_portal_spend: one buyer's month at its own price, summed by a portal dimension, built from
-- the FOCUS rows: each row's exact share of its pricing group's price (docs/pricing.md §8),
-- computed here in exact integer arithmetic (no Python per row, no DOUBLE): docs/portal.md.
-- The rows reach a group through rpt_edge_rows (migration 021: the run's pricing key, account
-- assignment and basis code), as the drill-down's do: tests/test_portal.py checks the daily sums
-- against row_share over rpt_customer_rows.
-- Share grain: one share per (pricing group, output key), i.e. price × Σ basis of the group's rows
-- under that key / the group's Σ basis (rows / all rows when the basis sums to 0), rounded to the
-- ledger's 10 places half away from zero, exactly as queries.reports.common.row_share does it in
-- Decimal; by 'day' this is the (group, day) share the daily breakdown always summed.
-- Returns one row per output key: x_Day, ProviderName, ServiceName, ServiceCategory, RegionId,
--   SubAccountId, x_TagValue (NULL: untagged), ResourceId, ResourceName (only the columns $by
--   names are set, the others are NULL), x_BuyerCurrency, price (DECIMAL(38,10), Σ shares),
--   x_Rows (FOCUS rows), x_KeyRows (on every row: how many of the rows read carry the tag key
--   $tag_path names, with or without a value, as rpt_portal_values lists keys; 0 without a
--   $tag_path; the portal refuses a key no row carries from this, without a second read).
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge); $customers VARCHAR[]
--   (NULL = every end customer on the edge); $cost_groups VARCHAR[] (NULL = every row, else rows
--   whose Tags cost_group is listed); filters, NULL = all: $sub_account, $service, $region
--   VARCHAR; $tag_path VARCHAR (the tag key as a JSON pointer '/key', NULL: no tag),
--   $tag_value VARCHAR (rows whose tag has this value), $untagged BOOLEAN (rows without a value
--   for the tag); $by: 'day' | 'day_provider' | 'day_service' | 'provider' | 'service' |
--   'category' | 'region' | 'sub_account' | 'tag' | 'resource'; $limit BIGINT (NULL = all).
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer (end customers in $customers) of
--   the period's current run; queries.scope checks the user may see it before calling. Reads
--   x_PriceBuyer (the buyer's price) and the rows' basis amounts; nothing of the seller's cost
--   leaves this statement.
WITH based AS (   -- the edge's rows, each with its group and basis amount (migration 021)
    SELECT *
    FROM rpt_edge_rows($period::DATE, $seller::VARCHAR, $buyer::VARCHAR, $customers::VARCHAR[],
                       $sub_account::VARCHAR, $service::VARCHAR, false)
    WHERE ($region::VARCHAR IS NULL OR RegionId = $region::VARCHAR)
),

grouped AS (   -- the group's basis over ALL its rows, before any row filter
    SELECT
        *,
        sum(x_RowBasis) OVER (PARTITION BY x_GroupId) AS x_GroupBasis,
        count(*) OVER (PARTITION BY x_GroupId) AS x_GroupRows,
        CASE WHEN $tag_path::VARCHAR IS NOT NULL
             THEN nullif(json_extract_string(Tags, $tag_path::VARCHAR), '') END AS x_TagValue,
        CASE WHEN $tag_path::VARCHAR IS NOT NULL AND json_type(Tags) = 'OBJECT'
                  AND json_exists(Tags, $tag_path::VARCHAR) THEN 1 ELSE 0 END AS x_HasKey
    FROM based
),

visible AS (
    SELECT *
    FROM grouped
    WHERE ($cost_groups::VARCHAR[] IS NULL
           OR list_contains($cost_groups::VARCHAR[], json_extract_string(Tags, 'cost_group')))
      AND ($tag_value::VARCHAR IS NULL OR x_TagValue = $tag_value::VARCHAR)
      AND (NOT coalesce($untagged::BOOLEAN, false) OR x_TagValue IS NULL)
),

dimensioned AS (
    SELECT
        x_GroupId,
        CASE WHEN $by IN ('day', 'day_provider', 'day_service') THEN x_Day END AS x_Day,
        CASE WHEN $by IN ('provider', 'service', 'day_provider', 'day_service', 'resource')
             THEN ProviderName END AS ProviderName,
        CASE WHEN $by IN ('service', 'day_service', 'resource') THEN ServiceName END AS ServiceName,
        CASE WHEN $by = 'category' THEN ServiceCategory END AS ServiceCategory,
        CASE WHEN $by = 'region' THEN RegionId END AS RegionId,
        CASE WHEN $by = 'sub_account' THEN SubAccountId END AS SubAccountId,
        CASE WHEN $by = 'tag' THEN x_TagValue END AS x_TagValue,
        CASE WHEN $by = 'resource' THEN ResourceId END AS ResourceId,
        CASE WHEN $by = 'resource' THEN ResourceName END AS ResourceName,
        x_RowBasis, x_PriceBuyer, x_GroupBasis, x_GroupRows, x_BuyerCurrency, x_HasKey
    FROM visible
),

buckets AS (   -- one per (group, output key): the grain of one share
    SELECT
        x_GroupId, x_Day, ProviderName, ServiceName, ServiceCategory, RegionId, SubAccountId,
        x_TagValue, ResourceId,
        max(ResourceName) AS ResourceName,
        sum(x_RowBasis) AS x_Part,
        count(*) AS x_Rows,
        sum(x_HasKey) AS x_KeyRows,
        any_value(x_PriceBuyer) AS x_PriceBuyer,
        any_value(x_GroupBasis) AS x_GroupBasis,
        any_value(x_GroupRows) AS x_GroupRows,
        any_value(x_BuyerCurrency) AS x_BuyerCurrency
    FROM dimensioned
    GROUP BY x_GroupId, x_Day, ProviderName, ServiceName, ServiceCategory, RegionId, SubAccountId,
             x_TagValue, ResourceId
),

scaled AS (   -- amounts as whole numbers of 1e-10 (exact: every amount is DECIMAL(38,10))
    SELECT
        *,
        CAST(x_PriceBuyer * 10000000000 AS HUGEINT)
            * CASE WHEN x_GroupBasis <> 0 THEN CAST(x_Part * 10000000000 AS HUGEINT)
                   ELSE CAST(x_Rows AS HUGEINT) END AS x_Num,
        CASE WHEN x_GroupBasis <> 0 THEN CAST(x_GroupBasis * 10000000000 AS HUGEINT)
             ELSE CAST(x_GroupRows AS HUGEINT) END AS x_Den
    FROM buckets
),

shares AS (   -- x_Num / x_Den to a whole number of 1e-10, half away from zero (`//` truncates)
    SELECT
        *,
        CASE WHEN x_Den = 0 THEN CAST(0 AS HUGEINT)
             ELSE x_Num // x_Den
                  + CASE WHEN 2 * abs(x_Num % x_Den) >= abs(x_Den)
                         THEN CASE WHEN (x_Num < 0) <> (x_Den < 0) THEN -1 ELSE 1 END
                         ELSE 0 END
        END AS x_ShareUnits
    FROM scaled
),

final AS (
    SELECT
        x_Day, ProviderName, ServiceName, ServiceCategory, RegionId, SubAccountId, x_TagValue,
        ResourceId,
        max(ResourceName) AS ResourceName,
        x_BuyerCurrency,
        CAST(CAST(sum(x_ShareUnits) AS DECIMAL(38,0)) * CAST('0.0000000001' AS DECIMAL(38,10))
             AS DECIMAL(38,10)) AS price,
        sum(x_Rows) AS x_Rows,
        sum(x_KeyRows) AS x_KeyRows
    FROM shares
    GROUP BY x_Day, ProviderName, ServiceName, ServiceCategory, RegionId, SubAccountId, x_TagValue,
             ResourceId, x_BuyerCurrency
)

SELECT * REPLACE (sum(x_KeyRows) OVER () AS x_KeyRows)   -- before the LIMIT: every row read
FROM final
ORDER BY x_Day, price DESC, ProviderName, ServiceName, ServiceCategory, RegionId, SubAccountId,
         x_TagValue, ResourceId
LIMIT $limit
