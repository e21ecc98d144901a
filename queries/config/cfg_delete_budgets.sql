-- Removes every row of cfg_budgets (config import replaces the whole configuration, inside the
-- import's transaction). Returns nothing. Parameters: none.
DELETE FROM cfg_budgets;
