-- Removes every row of cfg_users (config import replaces the whole configuration,
-- inside the import's transaction). Returns nothing. Parameters: none.
DELETE FROM cfg_users;
