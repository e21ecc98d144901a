-- landing_groups_missing: the active deliveries of a period whose pricing groups are not cut by
-- the configuration's grouping yet (loaded before it changed, or before migration 007).
-- Returns (x_IngestId) sorted. Parameters: $period DATE, $grouping VARCHAR.
SELECT DISTINCT x_IngestId
FROM delivery_slices
WHERE x_Period = $period AND status = 'active'
EXCEPT
SELECT DISTINCT x_IngestId
FROM landing_groups
WHERE x_Period = $period AND x_Grouping = $grouping
ORDER BY x_IngestId;
