-- fct_commit_coverage: which commitment covered which customer's usage in the run's period, and
-- who owns each commitment (issue #15; DOMAIN §9). Writes fct_commitments (migration 018): one
-- row per (commitment, charge category, status, account, the run's customer of that account,
-- currency) with its row count and summed ListCost, ContractedCost, BilledCost, EffectiveCost.
-- The customer of a row is the run's own decision (fct_accounts, written by fct_stage_accounts
-- just before), matched as the row drill-down matches it: account, the run's tag values and,
-- where the run cut the account by day, the day. Never today's configuration.
-- The owner of a commitment: the account of its purchase rows this period (the largest purchase
-- if several), else the account of its unused rows (the largest waste), else the owner recorded
-- for it in the latest earlier period's current run; x_OwnerSource says which (NULL: unknown).
-- Reads only the period's landed rows that carry a CommitmentDiscountId (tax rows aside), so a
-- month without commitments costs one pass over one mostly-NULL column.
-- Returns the number of rows written. Parameters: $run_id BIGINT, $period DATE.
INSERT INTO fct_commitments BY NAME
WITH run_keys AS (
    SELECT tag_keys FROM billing_runs WHERE run_id = $run_id
),

landed AS (
    SELECT
        CommitmentDiscountId, ProviderName, CommitmentDiscountType, CommitmentDiscountCategory,
        CommitmentDiscountName, BillingCurrency, ChargeCategory, CommitmentDiscountStatus,
        BillingAccountId, SubAccountId, Tags, ChargePeriodStart::DATE AS x_Day,
        ListCost, ContractedCost, BilledCost, EffectiveCost
    FROM landing_focus
    WHERE x_Period = $period AND CommitmentDiscountId IS NOT NULL AND ChargeCategory <> 'Tax'
),

keyed AS (   -- the tag values the run cut the accounts by (as landing_groups_insert cuts them)
    SELECT
        l.* EXCLUDE (Tags),
        CASE WHEN len(k.tag_keys) > 0 AND l.Tags IS NOT NULL
             THEN list_transform(k.tag_keys, lambda t: json_extract_string(l.Tags, t)) END AS x_TagValues
    FROM landed l
    CROSS JOIN run_keys k
),

accounts AS (
    SELECT * FROM fct_accounts WHERE run_id = $run_id
),

assigned AS (
    SELECT
        r.CommitmentDiscountId, r.ProviderName, r.BillingCurrency, r.ChargeCategory,
        r.CommitmentDiscountStatus, r.BillingAccountId, r.SubAccountId,
        a.x_CustomerId,
        count(*) AS x_RowCount,
        any_value(r.CommitmentDiscountType) AS CommitmentDiscountType,
        any_value(r.CommitmentDiscountCategory) AS CommitmentDiscountCategory,
        any_value(r.CommitmentDiscountName) AS CommitmentDiscountName,
        sum(r.ListCost) AS ListCost,
        sum(r.ContractedCost) AS ContractedCost,
        sum(r.BilledCost) AS BilledCost,
        sum(r.EffectiveCost) AS EffectiveCost
    FROM keyed r
    LEFT JOIN accounts a
      ON a.ProviderName = r.ProviderName
     AND a.BillingAccountId = r.BillingAccountId
     AND a.SubAccountId IS NOT DISTINCT FROM r.SubAccountId
     AND a.x_TagValues IS NOT DISTINCT FROM r.x_TagValues
     AND (a.x_Day IS NULL OR a.x_Day = r.x_Day)
    GROUP BY ALL
),

earlier AS (   -- owners recorded for earlier periods, by those periods' current runs
    SELECT DISTINCT
        f.CommitmentDiscountId, f.ProviderName, f.x_Period,
        f.x_OwnerBillingAccountId, f.x_OwnerSubAccountId, f.x_OwnerCustomerId
    FROM fct_commitments f
    JOIN rpt_current_runs c ON c.run_id = f.run_id
    WHERE f.x_Period < $period AND f.x_OwnerSource IS NOT NULL
      AND (f.CommitmentDiscountId, f.ProviderName) IN
          (SELECT (CommitmentDiscountId, ProviderName) FROM assigned)
),

candidates AS (
    SELECT
        CommitmentDiscountId, ProviderName, BillingAccountId, SubAccountId, x_CustomerId,
        CASE WHEN ChargeCategory = 'Purchase' THEN 'purchase' ELSE 'unused' END AS x_OwnerSource,
        CASE WHEN ChargeCategory = 'Purchase' THEN 1 ELSE 2 END AS x_Rank,
        NULL::DATE AS x_From,
        abs(BilledCost) + abs(EffectiveCost) AS x_Amount
    FROM assigned
    WHERE ChargeCategory = 'Purchase' OR CommitmentDiscountStatus = 'Unused'
    UNION ALL
    SELECT
        CommitmentDiscountId, ProviderName, x_OwnerBillingAccountId, x_OwnerSubAccountId,
        x_OwnerCustomerId, 'earlier', 3, x_Period, 0
    FROM earlier
),

owners AS (
    SELECT
        CommitmentDiscountId, ProviderName,
        BillingAccountId AS x_OwnerBillingAccountId,
        SubAccountId AS x_OwnerSubAccountId,
        x_CustomerId AS x_OwnerCustomerId,
        x_OwnerSource
    FROM candidates
    QUALIFY row_number() OVER (
        PARTITION BY CommitmentDiscountId, ProviderName
        ORDER BY x_Rank, x_From DESC NULLS LAST, x_Amount DESC, BillingAccountId, SubAccountId NULLS LAST
    ) = 1
),

final AS (
    SELECT
        $run_id AS run_id, $period AS x_Period, a.*,
        o.x_OwnerBillingAccountId, o.x_OwnerSubAccountId, o.x_OwnerCustomerId, o.x_OwnerSource
    FROM assigned a
    LEFT JOIN owners o
      ON o.CommitmentDiscountId = a.CommitmentDiscountId AND o.ProviderName = a.ProviderName
)

SELECT * FROM final
