-- fct_rows_priced: FOCUS rows priced by the run in progress (edges of depth 1 in TEMP TABLE
-- tmp_ledger). Returns one BIGINT. No parameters.
SELECT coalesce(sum(x_RowCount), 0) FROM tmp_ledger WHERE x_Depth = 1;
