-- landing_macro_ts: (re)creates TEMP MACRO x_focus_ts(v) used by landing_insert: a FOCUS date/time
-- string → naive UTC TIMESTAMP, strict (a value it cannot parse raises a Conversion Error).
-- 'Z'-suffixed (the common case) and offset-less values are read as UTC; values with an explicit
-- offset (+02:00, -0500) are shifted to UTC. Independent of the session TimeZone. Empty → NULL.
-- No parameters.
CREATE OR REPLACE TEMP MACRO x_focus_ts(v) AS (
    CASE
        WHEN NULLIF(trim(v), '') IS NULL THEN NULL::TIMESTAMP
        WHEN ends_with(trim(v), 'Z') OR ends_with(trim(v), 'z') THEN CAST(trim(v) AS TIMESTAMP)
        WHEN contains(substr(trim(v), 11), '+') OR contains(substr(trim(v), 11), '-')
            THEN timezone('UTC', CAST(trim(v) AS TIMESTAMPTZ))
        ELSE CAST(trim(v) AS TIMESTAMP)
    END
)
