-- fct_ledger_delete_period: removes the period's previous ledger before a run stores its own
-- (the ledger holds the latest successful run per period). Parameters: $period DATE.
DELETE FROM fct_ledger WHERE x_Period = $period;
