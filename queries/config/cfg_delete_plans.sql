-- Removes every row of cfg_plans (config import replaces the whole configuration,
-- inside the import's transaction). Returns nothing. Parameters: none.
DELETE FROM cfg_plans;
