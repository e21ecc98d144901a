-- landing_macro_csv: (re)creates TEMP table macro ingest_file(p, c, t) over a FOCUS CSV file: every
-- column VARCHAR (IDs such as AWS account 100000000001 stay text), header row, comma-separated,
-- RFC 4180 quoting; c = compression ('none' or 'gzip'). Streams in parallel; unquoted and quoted
-- empty fields are NULL. t is unused (a CSV file has only text; same signature as
-- landing_macro_parquet). p, c and t are bound by the caller as statement parameters. No parameters.
CREATE OR REPLACE TEMP MACRO ingest_file(p, c, t) AS TABLE
SELECT *
FROM read_csv(
    p,
    all_varchar = TRUE,
    header = TRUE,
    delim = ',',
    quote = '"',
    escape = '"',
    compression = c
)
