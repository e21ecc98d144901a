-- landing_macro_num: (re)creates TEMP MACRO x_focus_num(v) used by landing_insert: a FOCUS number
-- (cost, price, quantity) → DECIMAL(38,10), strict (a text that is not a number, or a value too
-- large, raises a Conversion Error). Text: empty → NULL. A Parquet DECIMAL of scale ≤ 10 or
-- integer (data.ingest.typed_columns lets no other type through untouched) converts exactly, to
-- the value its text would give: typeof(v) is fixed per column, so DuckDB keeps one branch.
-- No parameters.
CREATE OR REPLACE TEMP MACRO x_focus_num(v) AS (
    CASE
        WHEN typeof(v) = 'VARCHAR' THEN CAST(NULLIF(v::VARCHAR, '') AS DECIMAL(38,10))
        ELSE CAST(v AS DECIMAL(38,10))
    END
)
