-- landing_groups_delete_stale: drops a period's pricing groups that were cut by another grouping
-- than $grouping (the configuration's tag keys or dated mappings changed since). Returns the
-- number of groups deleted. Parameters: $period DATE, $grouping VARCHAR.
DELETE FROM landing_groups WHERE x_Period = $period AND x_Grouping <> $grouping;
