-- landing_macro_try_ts: (re)creates TEMP MACRO x_focus_try_ts(v): the same parse as x_focus_ts
-- (landing_macro_ts) but returning NULL for a value it cannot parse; the diagnosis uses it to
-- find the first bad row. No parameters.
CREATE OR REPLACE TEMP MACRO x_focus_try_ts(v) AS (
    CASE
        WHEN NULLIF(trim(v), '') IS NULL THEN NULL::TIMESTAMP
        WHEN ends_with(trim(v), 'Z') OR ends_with(trim(v), 'z') THEN TRY_CAST(trim(v) AS TIMESTAMP)
        WHEN contains(substr(trim(v), 11), '+') OR contains(substr(trim(v), 11), '-')
            THEN timezone('UTC', TRY_CAST(trim(v) AS TIMESTAMPTZ))
        ELSE TRY_CAST(trim(v) AS TIMESTAMP)
    END
)
