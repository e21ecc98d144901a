-- landing_macro_parquet: (re)creates TEMP table macro ingest_file(p, c) over a FOCUS Parquet file,
-- every column as VARCHAR so Parquet and CSV go through the same typed load and checks: nested
-- values (MAP/STRUCT/LIST, e.g. a Tags map) become JSON text, TIMESTAMPTZ keeps its offset (shifted
-- to UTC on load), DOUBLE becomes its shortest decimal text, integer IDs become digits.
-- c is unused (same signature as landing_macro_csv). p is bound by the caller. No parameters.
CREATE OR REPLACE TEMP MACRO ingest_file(p, c) AS TABLE
SELECT
    CASE
        WHEN typeof(COLUMNS(*)) LIKE 'MAP(%' OR typeof(COLUMNS(*)) LIKE 'STRUCT(%'
             OR typeof(COLUMNS(*)) LIKE '%[]' OR typeof(COLUMNS(*)) = 'JSON'
            THEN to_json(COLUMNS(*))::VARCHAR
        ELSE COLUMNS(*)::VARCHAR
    END
FROM read_parquet(p)
