-- fct_stage_assign: the period's pricing groups (landing_groups, tax rows aside) → customers
-- (docs/pricing.md §1), by the run's account decisions (fct_stage_accounts, run first).
-- Writes the run's pricing groups to fct_groups: one row per (customer, pricing key: with the
-- corrected month x_CorrectsPeriod of provider corrections) with summed amounts and a group id
-- x_GroupId (numbered in customer order); x_CustomerId is NULL for unassigned groups (the ledger
-- view never shows them: no edge prices them). Groups cut by tag values or day are summed back to
-- one per (customer, pricing key); the day cut is per account, so a key is never split between
-- the two halves (and without tag keys, most groups skip the sum: the pricing key holds the
-- billing account, and one delivery at a time holds a billing account's period, so uncut groups
-- are already one per key).
-- Returns the number of groups written.
-- Parameters: $run_id BIGINT, $period DATE, $grouping VARCHAR (the groups' signature, data.groups.Grouping),
--             $tag_keys VARCHAR[] (the tag keys the groups were cut by, in signature order).
INSERT INTO fct_groups BY NAME
WITH raw AS (
    SELECT * FROM landing_groups
    WHERE x_Period = $period AND x_Grouping = $grouping AND ChargeCategory <> 'Tax'
),
assigned_accounts AS (
    SELECT * FROM fct_accounts WHERE run_id = $run_id
),
assigned AS NOT MATERIALIZED (   -- read by both branches below, each filter pushed into it
    SELECT a.x_CustomerId, r.*
    FROM raw r
    JOIN assigned_accounts a
      ON a.ProviderName = r.ProviderName
     AND a.BillingAccountId = r.BillingAccountId
     AND a.SubAccountId IS NOT DISTINCT FROM r.SubAccountId
     AND a.x_TagValues IS NOT DISTINCT FROM r.x_TagValues
     AND a.x_Day IS NOT DISTINCT FROM r.x_Day
),
whole AS (
    -- groups that are already one per (customer, pricing key): no tag cut, no day cut
    SELECT * EXCLUDE (x_IngestId, x_Period, x_Grouping, x_TagValues, x_Day)
    FROM assigned
    WHERE len($tag_keys::VARCHAR[]) = 0 AND x_Day IS NULL
),
merged AS (
    -- groups cut by tag values or day: one per (customer, pricing key) again
    SELECT
        -- the pricing key as landing_groups_insert cut it (every column but the cut and amounts)
        * EXCLUDE (x_IngestId, x_Period, x_Grouping, x_TagValues, x_Day,
                   x_RowCount, ListCost, ContractedCost, BilledCost, EffectiveCost),
        sum(x_RowCount)     AS x_RowCount,
        sum(ListCost)       AS ListCost,
        sum(ContractedCost) AS ContractedCost,
        sum(BilledCost)     AS BilledCost,
        sum(EffectiveCost)  AS EffectiveCost
    FROM assigned
    WHERE NOT (len($tag_keys::VARCHAR[]) = 0 AND x_Day IS NULL)
    GROUP BY ALL
),
final AS (
    SELECT * FROM whole
    UNION ALL BY NAME
    SELECT * FROM merged
),
ordered AS (
    -- numbered and stored one customer after another: a portal read of one customer's groups
    -- (fct_ledger, by x_GroupId) then skips the other customers' row groups by their zone maps
    SELECT * FROM final ORDER BY x_CustomerId, ProviderName, SubAccountId
)
SELECT $run_id AS run_id, $period AS x_Period, row_number() OVER () AS x_GroupId, * FROM ordered;
