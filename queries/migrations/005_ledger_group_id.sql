-- Migration 005: the billing run writes the priced ledger directly (no temporary copy); each
-- depth reads the edge above it through the pricing group id of the run.
ALTER TABLE fct_ledger ADD COLUMN x_GroupId BIGINT;   -- pricing group within the run (docs/pricing.md §2)
