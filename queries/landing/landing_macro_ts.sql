-- landing_macro_ts: (re)creates TEMP MACRO x_focus_ts(v) used by landing_insert: a FOCUS date/time
-- → naive UTC TIMESTAMP, strict (a text it cannot parse raises a Conversion Error).
-- Text: 'Z'-suffixed (the common case) and offset-less values are read as UTC; values with an
-- explicit offset (+02:00, -0500) are shifted to UTC; empty → NULL. A Parquet TIMESTAMP is taken
-- as it is (as its text would be) and a TIMESTAMPTZ shifted to UTC (as its text, which carries
-- the offset, would be): typeof(v) is fixed per column, so DuckDB keeps one branch.
-- Independent of the session TimeZone. No parameters.
CREATE OR REPLACE TEMP MACRO x_focus_ts(v) AS (
    CASE
        WHEN typeof(v) = 'TIMESTAMP' THEN CAST(v AS TIMESTAMP)
        WHEN typeof(v) = 'TIMESTAMP WITH TIME ZONE' THEN timezone('UTC', CAST(v AS TIMESTAMPTZ))
        WHEN NULLIF(trim(v::VARCHAR), '') IS NULL THEN NULL::TIMESTAMP
        WHEN ends_with(trim(v::VARCHAR), 'Z') OR ends_with(trim(v::VARCHAR), 'z')
            THEN CAST(trim(v::VARCHAR) AS TIMESTAMP)
        WHEN contains(substr(trim(v::VARCHAR), 11), '+') OR contains(substr(trim(v::VARCHAR), 11), '-')
            THEN timezone('UTC', CAST(trim(v::VARCHAR) AS TIMESTAMPTZ))
        ELSE CAST(trim(v::VARCHAR) AS TIMESTAMP)
    END
)
