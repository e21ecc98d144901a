-- fct_rows_priced: FOCUS rows priced by a run (its edges of depth 1). Returns one BIGINT.
-- Parameters: $run_id BIGINT.
SELECT coalesce(sum(x_RowCount), 0) FROM fct_ledger WHERE run_id = $run_id AND x_Depth = 1;
