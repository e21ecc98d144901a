-- landing_groups_delete_stale: drops a period's pricing groups that are about to be rebuilt:
-- those cut by another grouping than $grouping, and all of the deliveries $ingest_ids. Returns
-- the number of groups deleted. Parameters: $period DATE, $grouping VARCHAR, $ingest_ids BIGINT[].
DELETE FROM landing_groups
WHERE x_Period = $period
  AND (x_Grouping <> $grouping OR list_contains($ingest_ids::BIGINT[], x_IngestId));
