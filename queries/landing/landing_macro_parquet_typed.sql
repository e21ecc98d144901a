-- landing_macro_parquet_typed: (re)creates TEMP table macro ingest_file(p, c, t) over a FOCUS
-- Parquet file some of whose columns are read in their own type (landing_macro_parquet when none
-- is: DuckDB refuses a COLUMNS selection that matches nothing). The columns named in t keep the
-- file's own type (data.ingest.typed_columns picks them: number columns stored as DECIMAL of
-- scale ≤ 10 or as integers, date/times stored as TIMESTAMP or TIMESTAMPTZ, which landing
-- converts exactly as it would their text, without writing and parsing that text). Every other
-- column becomes VARCHAR (x_focus_text, landing_macro_text), so Parquet and CSV go through the
-- same typed load and checks. c is unused (same signature as landing_macro_csv).
-- p (the file) and t (VARCHAR[], at least one of the file's columns and not all of them) are bound
-- by the caller. No parameters.
CREATE OR REPLACE TEMP MACRO ingest_file(p, c, t) AS TABLE
SELECT
    COLUMNS(lambda name: list_contains(t, name)),
    x_focus_text(COLUMNS(lambda name: NOT list_contains(t, name)))
FROM read_parquet(p)
