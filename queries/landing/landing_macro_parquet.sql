-- landing_macro_parquet: (re)creates TEMP table macro ingest_file(p, c, t) over a FOCUS Parquet file,
-- every column as VARCHAR (x_focus_text, landing_macro_text), so Parquet and CSV go through the
-- same typed load and checks. For a file none of whose columns is read in its own type
-- (data.ingest.typed_columns); otherwise landing_macro_parquet_typed. c and t are unused (same
-- signature as landing_macro_csv and landing_macro_parquet_typed). p is bound by the caller.
-- No parameters.
CREATE OR REPLACE TEMP MACRO ingest_file(p, c, t) AS TABLE
SELECT x_focus_text(COLUMNS(*))
FROM read_parquet(p)
