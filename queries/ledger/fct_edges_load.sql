-- fct_edges_load: the run's edges from the registered Arrow table `edges_src` (data.billing):
-- one row per (customer, edge on its path from the root) with the buyer's plan terms, kept with
-- the run (fct_edges) so the row drill-down reads the terms the run priced with.
-- Returns the number of rows written. Parameters: $run_id BIGINT, $period DATE.
INSERT INTO fct_edges BY NAME SELECT $run_id AS run_id, $period AS x_Period, * FROM edges_src;
