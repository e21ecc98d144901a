-- landing_macro_cost: (re)creates TEMP MACRO x_focus_cost(v) used by landing_insert for the four cost
-- columns: x_focus_num's conversion (landing_macro_num) through DECIMAL(24,10), so that a row's
-- cost must stay below 10^14 (the sums and products of a billing run then always fit the ledger's
-- DECIMAL(38,10)); a larger one raises a Conversion Error. Text: empty → NULL; a Parquet DECIMAL
-- of scale ≤ 10 or integer converts exactly, to the value its text would give. No parameters.
CREATE OR REPLACE TEMP MACRO x_focus_cost(v) AS (
    CASE
        WHEN typeof(v) = 'VARCHAR' THEN CAST(CAST(NULLIF(v::VARCHAR, '') AS DECIMAL(24,10)) AS DECIMAL(38,10))
        ELSE CAST(CAST(v AS DECIMAL(24,10)) AS DECIMAL(38,10))
    END
)
