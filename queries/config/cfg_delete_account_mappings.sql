-- Removes every row of cfg_account_mappings (config import replaces the whole configuration,
-- inside the import's transaction). Returns nothing. Parameters: none.
DELETE FROM cfg_account_mappings;
