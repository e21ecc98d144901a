-- fct_stage_assign: the period's pricing groups (landing_groups, tax rows aside) → customers
-- (docs/pricing.md §1).
-- Writes the run's pricing groups to fct_groups: one row per (customer, pricing key) with summed
-- amounts and a group id x_GroupId; x_CustomerId is NULL for unassigned groups (the ledger view
-- never shows them: no edge prices them). The customer depends only on the
-- account (provider, billing account, sub-account, tag values, day), so it is decided once per
-- account and joined back. Tag rules win over sub-account mappings, which win over
-- billing-account mappings; within a kind the first mapping wins. Groups cut by tag values or
-- day are summed back to one per (customer, pricing key); the day cut is per account, so a key
-- is never split between the two halves (and without tag keys, most groups skip the sum: the
-- pricing key holds the billing account, and one delivery at a time holds a billing account's
-- period, so uncut groups are already one per key).
-- Returns the number of groups written.
-- Parameters: $run_id BIGINT, $period DATE, $grouping VARCHAR (the groups' signature, data.groups.Grouping),
--             $tag_keys VARCHAR[] (the tag keys the groups were cut by, in signature order).
INSERT INTO fct_groups BY NAME
WITH raw AS (
    SELECT * FROM landing_groups
    WHERE x_Period = $period AND x_Grouping = $grouping AND ChargeCategory <> 'Tax'
),
maps AS (
    SELECT * FROM cfg_account_mappings
),
accounts AS (
    -- assignment depends only on these: decide it once per account, not per pricing group
    SELECT row_number() OVER () AS aid, *
    FROM (SELECT DISTINCT ProviderName, BillingAccountId, SubAccountId, x_TagValues, x_Day FROM raw)
),
tag_match AS (
    SELECT a.aid, m.customer
    FROM accounts a
    JOIN maps m
      ON m.tag_key IS NOT NULL
     AND a.x_TagValues[list_position($tag_keys::VARCHAR[], m.tag_key)] = m.tag_value
     AND (m.provider IS NULL OR m.provider = a.ProviderName)
     AND (m.valid_from IS NULL OR a.x_Day IS NULL OR m.valid_from <= a.x_Day)
     AND (m.valid_to IS NULL OR a.x_Day IS NULL OR a.x_Day < m.valid_to)
    QUALIFY row_number() OVER (PARTITION BY a.aid ORDER BY m.mapping_no) = 1
),
sub_match AS (
    SELECT a.aid, m.customer
    FROM accounts a
    JOIN maps m
      ON m.sub_account_id = a.SubAccountId
     AND m.provider = a.ProviderName
     AND (m.valid_from IS NULL OR a.x_Day IS NULL OR m.valid_from <= a.x_Day)
     AND (m.valid_to IS NULL OR a.x_Day IS NULL OR a.x_Day < m.valid_to)
    QUALIFY row_number() OVER (PARTITION BY a.aid ORDER BY m.mapping_no) = 1
),
ba_match AS (
    SELECT a.aid, m.customer
    FROM accounts a
    JOIN maps m
      ON m.sub_account_id IS NULL
     AND m.billing_account_id = a.BillingAccountId
     AND m.provider = a.ProviderName
     AND (m.valid_from IS NULL OR a.x_Day IS NULL OR m.valid_from <= a.x_Day)
     AND (m.valid_to IS NULL OR a.x_Day IS NULL OR a.x_Day < m.valid_to)
    QUALIFY row_number() OVER (PARTITION BY a.aid ORDER BY m.mapping_no) = 1
),
assigned_accounts AS (
    SELECT a.*, coalesce(t.customer, s.customer, b.customer) AS x_CustomerId
    FROM accounts a
    LEFT JOIN tag_match t ON t.aid = a.aid
    LEFT JOIN sub_match s ON s.aid = a.aid
    LEFT JOIN ba_match b ON b.aid = a.aid
),
assigned AS (
    SELECT a.x_CustomerId, r.*
    FROM raw r
    JOIN assigned_accounts a
      ON a.ProviderName = r.ProviderName
     AND a.BillingAccountId = r.BillingAccountId
     AND coalesce(a.SubAccountId, '') = coalesce(r.SubAccountId, '')
     AND coalesce(CAST(a.x_TagValues AS VARCHAR), '') = coalesce(CAST(r.x_TagValues AS VARCHAR), '')
     AND coalesce(a.x_Day, DATE '1900-01-01') = coalesce(r.x_Day, DATE '1900-01-01')
),
whole AS (
    -- groups that are already one per (customer, pricing key): no tag cut, no day cut
    SELECT *
    FROM assigned
    WHERE len($tag_keys::VARCHAR[]) = 0 AND x_Day IS NULL
),
merged AS (
    -- groups cut by tag values or day: one per (customer, pricing key) again
    SELECT
        x_CustomerId,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId,
        ServiceCategory, ServiceName, SkuId, RegionId,
        ChargeCategory, ChargeClass, CommitmentDiscountStatus, x_Commitment, BillingCurrency,
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
    SELECT
        x_CustomerId,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId,
        ServiceCategory, ServiceName, SkuId, RegionId,
        ChargeCategory, ChargeClass, CommitmentDiscountStatus, x_Commitment, BillingCurrency,
        x_RowCount, ListCost, ContractedCost, BilledCost, EffectiveCost
    FROM whole
    UNION ALL BY NAME
    SELECT * FROM merged
)
SELECT $run_id AS run_id, $period AS x_Period, row_number() OVER () AS x_GroupId, * FROM final;
