-- landing_groups_day_cut_changed: the deliveries of a period holding an account whose groups are
-- cut by charge day when they should not be, or the other way round (a dated mapping for it came
-- or went since the delivery was grouped; data.groups.Grouping). Only groups of the grouping's
-- signature are looked at (other signatures are rebuilt anyway). Returns (x_IngestId) sorted.
-- Parameters: $period DATE, $grouping VARCHAR, $dated_all BOOLEAN, $dated_subs VARCHAR[],
--   $dated_bas VARCHAR[] (each provider || chr(31) || id).
WITH cut AS (
    SELECT
        x_IngestId,
        x_Day IS NOT NULL AS x_IsCut,
        $dated_all
            OR list_contains($dated_subs::VARCHAR[], ProviderName || chr(31) || SubAccountId)
            OR list_contains($dated_bas::VARCHAR[], ProviderName || chr(31) || BillingAccountId)
            AS x_ShouldCut
    FROM landing_groups
    WHERE x_Period = $period AND x_Grouping = $grouping
)
SELECT DISTINCT x_IngestId
FROM cut
WHERE x_IsCut <> coalesce(x_ShouldCut, FALSE)
ORDER BY x_IngestId;
