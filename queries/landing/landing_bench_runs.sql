-- landing_bench_runs: how many billing runs a period has had (bench/load.py: did the app bill
-- the month again while it was under load?). Returns one row: runs.
-- Parameters: $period DATE.
SELECT count(*) AS runs FROM billing_runs WHERE x_Period = $period::DATE
