-- landing_groups_insert: landing_focus → landing_groups for some deliveries (docs/store.md).
-- Groups the FOCUS rows of the deliveries $ingest_ids (of period $period, or of every period
-- when $period is NULL; tax rows too, so every delivery of a period has groups, and the billing
-- run skips them) by the pricing key of docs/pricing.md §2 (with, for provider corrections, the
-- month they correct: x_CorrectsPeriod, the month of the row's ChargePeriodStart) plus what customer
-- assignment needs: the values of the tag keys $tag_keys (NULL when empty) and the charge day
-- of rows a dated mapping may move: every row when $dated_all, else rows whose provider and
-- sub-account are in $dated_subs or provider and billing account in $dated_bas (each written
-- provider || chr(31) || id, data.groups.Grouping). Returns the number of groups written.
-- Parameters: $ingest_ids BIGINT[], $period DATE (or NULL), $tag_keys VARCHAR[],
--             $dated_all BOOLEAN, $dated_subs VARCHAR[], $dated_bas VARCHAR[],
--             $grouping VARCHAR (the signature stored with the groups).
INSERT INTO landing_groups BY NAME
WITH src AS (
    SELECT *
    FROM landing_focus
    WHERE list_contains($ingest_ids::BIGINT[], x_IngestId)
      AND ($period::DATE IS NULL OR x_Period = $period::DATE)
),
keyed AS (
    SELECT
        x_IngestId, x_Period,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId,
        ServiceCategory, ServiceName, SkuId, RegionId,
        ChargeCategory, ChargeClass, CommitmentDiscountStatus,
        CommitmentDiscountId IS NOT NULL AS x_Commitment,
        BillingCurrency,
        -- a correction's line names the month it corrects (docs/pricing.md §7); NULL otherwise,
        -- so every other group is cut as before
        CASE WHEN ChargeClass = 'Correction'
             THEN date_trunc('month', ChargePeriodStart)::DATE END AS x_CorrectsPeriod,
        CASE WHEN len($tag_keys::VARCHAR[]) > 0
             THEN json_extract_string(Tags, $tag_keys::VARCHAR[]) END AS x_TagValues,
        CASE WHEN $dated_all
               OR (len($dated_subs::VARCHAR[]) > 0
                   AND list_contains($dated_subs::VARCHAR[], ProviderName || chr(31) || SubAccountId))
               OR (len($dated_bas::VARCHAR[]) > 0
                   AND list_contains($dated_bas::VARCHAR[], ProviderName || chr(31) || BillingAccountId))
             THEN ChargePeriodStart::DATE END AS x_Day,
        ListCost, ContractedCost, BilledCost, EffectiveCost
    FROM src
),
final AS (
    SELECT
        x_IngestId, x_Period, $grouping AS x_Grouping,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId,
        ServiceCategory, ServiceName, SkuId, RegionId,
        ChargeCategory, ChargeClass, CommitmentDiscountStatus, x_Commitment,
        BillingCurrency, x_CorrectsPeriod, x_TagValues, x_Day,
        count(*)            AS x_RowCount,
        sum(ListCost)       AS ListCost,
        sum(ContractedCost) AS ContractedCost,
        sum(BilledCost)     AS BilledCost,
        sum(EffectiveCost)  AS EffectiveCost
    FROM keyed
    GROUP BY ALL
)
SELECT * FROM final;
