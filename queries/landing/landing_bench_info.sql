-- landing_bench_info: for bench/ingest.py, the rows now in landing_focus and DuckDB's thread count.
-- Returns (rows BIGINT, threads BIGINT). No parameters.
SELECT (SELECT count(*) FROM landing_focus) AS rows, current_setting('threads') AS threads
