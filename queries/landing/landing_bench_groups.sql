-- landing_bench_groups: for bench/baselines.py, how many pricing groups ingest kept for a period
-- and how many the latest successful billing run priced (per customer and pricing key).
-- Returns (landing_groups BIGINT, priced_groups BIGINT). Parameters: $period DATE.
SELECT
    (SELECT count(*) FROM landing_groups WHERE x_Period = $period) AS landing_groups,
    (SELECT count(*) FROM fct_groups WHERE x_Period = $period AND x_CustomerId IS NOT NULL) AS priced_groups
