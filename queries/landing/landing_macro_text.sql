-- landing_macro_text: (re)creates TEMP MACRO x_focus_text(v) used by landing_macro_parquet and
-- landing_macro_parquet_typed: a Parquet value as the text landing loads, as a CSV file would hold
-- it: nested values (MAP/STRUCT/LIST, e.g. a Tags map) become JSON text, TIMESTAMPTZ keeps its
-- offset (shifted to UTC on load), DOUBLE becomes its shortest decimal text, integer IDs become
-- digits. typeof(v) is fixed per column, so DuckDB keeps one branch. No parameters.
CREATE OR REPLACE TEMP MACRO x_focus_text(v) AS (
    CASE
        WHEN typeof(v) LIKE 'MAP(%' OR typeof(v) LIKE 'STRUCT(%' OR typeof(v) LIKE '%[]' OR typeof(v) = 'JSON'
            THEN to_json(v)::VARCHAR
        ELSE v::VARCHAR
    END
)
