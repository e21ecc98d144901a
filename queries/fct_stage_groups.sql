-- fct_stage_groups: landing → pricing groups, one scan of the period's FOCUS rows.
-- Creates TEMP TABLE tmp_raw_groups: the period's non-tax rows grouped by the pricing key of
-- docs/pricing.md §2 plus what customer assignment needs (tag values, day for dated mappings).
-- Parameters: $period DATE, $tag_keys VARCHAR[] (tag keys used by tag rules; may be empty),
--             $dated BOOLEAN (true when any mapping has from/to dates).
CREATE OR REPLACE TEMP TABLE tmp_raw_groups AS
WITH src AS (
    SELECT *
    FROM landing_focus
    WHERE x_Period = $period
      AND ChargeCategory <> 'Tax'
),
keyed AS (
    SELECT
        ProviderName, BillingAccountId, SubAccountId, InvoiceId,
        ServiceCategory, ServiceName, SkuId, RegionId,
        ChargeCategory, ChargeClass, CommitmentDiscountStatus,
        CommitmentDiscountId IS NOT NULL AS x_Commitment,
        BillingCurrency,
        CASE WHEN len($tag_keys::VARCHAR[]) > 0
             THEN json_extract_string(Tags, $tag_keys::VARCHAR[]) END AS x_TagValues,
        CASE WHEN $dated THEN ChargePeriodStart::DATE END AS x_Day,
        ListCost, ContractedCost, BilledCost, EffectiveCost
    FROM src
),
final AS (
    SELECT
        ProviderName, BillingAccountId, SubAccountId, InvoiceId,
        ServiceCategory, ServiceName, SkuId, RegionId,
        ChargeCategory, ChargeClass, CommitmentDiscountStatus, x_Commitment,
        BillingCurrency, x_TagValues, x_Day,
        count(*)            AS x_RowCount,
        sum(ListCost)       AS ListCost,
        sum(ContractedCost) AS ContractedCost,
        sum(BilledCost)     AS BilledCost,
        sum(EffectiveCost)  AS EffectiveCost
    FROM keyed
    GROUP BY ALL
)
SELECT row_number() OVER () AS rid, * FROM final;
