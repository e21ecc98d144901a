-- fct_stage_accounts: which customer each account of the period belongs to, for this run
-- (docs/pricing.md §1). An account is what assignment depends on, as the pricing groups were
-- cut: (provider, billing account, sub-account, tag values, day). Tag rules win over
-- sub-account mappings, which win over billing-account mappings; within a kind the first
-- mapping (mapping_no) wins; a dated mapping holds on the days in [valid_from, valid_to).
-- Writes one row per account to fct_accounts (x_CustomerId NULL: unassigned), which both the
-- run (fct_stage_assign) and the row drill-down (rpt_customer_rows) read: the decision is
-- made once. Returns the number of accounts written.
-- Parameters: $run_id BIGINT, $period DATE, $grouping VARCHAR (the groups' signature,
--             data.groups.Grouping), $tag_keys VARCHAR[] (the tag keys the groups were cut by,
--             in signature order).
INSERT INTO fct_accounts BY NAME
WITH accounts AS (
    SELECT row_number() OVER () AS aid, *
    FROM (
        SELECT DISTINCT ProviderName, BillingAccountId, SubAccountId, x_TagValues, x_Day
        FROM landing_groups
        WHERE x_Period = $period AND x_Grouping = $grouping AND ChargeCategory <> 'Tax'
    )
),
maps AS (
    SELECT * FROM cfg_account_mappings
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
)
SELECT
    $run_id AS run_id, $period AS x_Period,
    a.ProviderName, a.BillingAccountId, a.SubAccountId, a.x_TagValues, a.x_Day,
    coalesce(t.customer, s.customer, b.customer) AS x_CustomerId
FROM accounts a
LEFT JOIN tag_match t ON t.aid = a.aid
LEFT JOIN sub_match s ON s.aid = a.aid
LEFT JOIN ba_match b ON b.aid = a.aid;
