-- run_reset_inserts: back to DuckDB's default after a billing run. No parameters.
RESET preserve_insertion_order;
