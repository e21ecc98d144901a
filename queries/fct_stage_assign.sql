-- fct_stage_assign: pricing groups → customers (docs/pricing.md §1).
-- Creates TEMP TABLE tmp_groups: one row per (customer, pricing key) with summed amounts and a
-- group id `gid`; x_CustomerId is NULL for unassigned groups. Tag rules win over sub-account
-- mappings, which win over billing-account mappings; within a kind the first mapping wins.
-- Parameters: $tag_keys VARCHAR[] (same list as fct_stage_groups).
CREATE OR REPLACE TEMP TABLE tmp_groups AS
WITH raw AS (
    SELECT * FROM tmp_raw_groups
),
maps AS (
    SELECT * FROM cfg_account_mappings
),
tag_match AS (
    SELECT r.rid, m.customer
    FROM raw r
    JOIN maps m
      ON m.tag_key IS NOT NULL
     AND r.x_TagValues[list_position($tag_keys::VARCHAR[], m.tag_key)] = m.tag_value
     AND (m.provider IS NULL OR m.provider = r.ProviderName)
     AND (m.valid_from IS NULL OR r.x_Day IS NULL OR m.valid_from <= r.x_Day)
     AND (m.valid_to IS NULL OR r.x_Day IS NULL OR r.x_Day < m.valid_to)
    QUALIFY row_number() OVER (PARTITION BY r.rid ORDER BY m.mapping_no) = 1
),
sub_match AS (
    SELECT r.rid, m.customer
    FROM raw r
    JOIN maps m
      ON m.sub_account_id = r.SubAccountId
     AND m.provider = r.ProviderName
     AND (m.valid_from IS NULL OR r.x_Day IS NULL OR m.valid_from <= r.x_Day)
     AND (m.valid_to IS NULL OR r.x_Day IS NULL OR r.x_Day < m.valid_to)
    QUALIFY row_number() OVER (PARTITION BY r.rid ORDER BY m.mapping_no) = 1
),
ba_match AS (
    SELECT r.rid, m.customer
    FROM raw r
    JOIN maps m
      ON m.sub_account_id IS NULL
     AND m.billing_account_id = r.BillingAccountId
     AND m.provider = r.ProviderName
     AND (m.valid_from IS NULL OR r.x_Day IS NULL OR m.valid_from <= r.x_Day)
     AND (m.valid_to IS NULL OR r.x_Day IS NULL OR r.x_Day < m.valid_to)
    QUALIFY row_number() OVER (PARTITION BY r.rid ORDER BY m.mapping_no) = 1
),
assigned AS (
    SELECT coalesce(t.customer, s.customer, b.customer) AS x_CustomerId, r.*
    FROM raw r
    LEFT JOIN tag_match t ON t.rid = r.rid
    LEFT JOIN sub_match s ON s.rid = r.rid
    LEFT JOIN ba_match b ON b.rid = r.rid
),
final AS (
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
    GROUP BY ALL
)
SELECT row_number() OVER () AS gid, * FROM final;
