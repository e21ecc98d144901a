-- landing_diag_problems: every kind of bad value in TEMP TABLE ingest_diag (landing_diag_stage),
-- one row per (column, problem): col, problem (missing | number | too_large | timestamp | json |
-- charge_category | currency), bad_rows, first_row (1 = first data row after the header) and
-- example (the value in first_row). Ordered by first_row, so row 1 of the result names the earliest
-- problem in the file. Uses TEMP MACRO x_focus_try_ts (landing_macro_try_ts).
-- Parameters: $currencies VARCHAR[] (the ISO 4217 codes a currency column may hold).
WITH d AS (
    SELECT rowid + 1 AS x_Row, * FROM ingest_diag
),
mandatory AS (
    SELECT * FROM d
    UNPIVOT INCLUDE NULLS (val FOR col IN (
        BilledCost, BillingAccountId, BillingCurrency, BillingPeriodEnd, BillingPeriodStart,
        ChargeCategory, ChargePeriodEnd, ChargePeriodStart, ContractedCost, EffectiveCost, ListCost,
        ProviderName, ServiceCategory, ServiceName
    ))
),
numbers AS (
    UNPIVOT (
        SELECT x_Row, BilledCost, CommitmentDiscountQuantity, ConsumedQuantity, ContractedCost,
               ContractedUnitPrice, EffectiveCost, ListCost, ListUnitPrice, PricingQuantity
        FROM d
    ) ON COLUMNS(* EXCLUDE (x_Row)) INTO NAME col VALUE val
),
stamps AS (
    UNPIVOT (
        SELECT x_Row, BillingPeriodEnd, BillingPeriodStart, ChargePeriodEnd, ChargePeriodStart
        FROM d
    ) ON COLUMNS(* EXCLUDE (x_Row)) INTO NAME col VALUE val
),
currencies AS (
    UNPIVOT (
        SELECT x_Row, BillingCurrency, PricingCurrency FROM d
    ) ON COLUMNS(* EXCLUDE (x_Row)) INTO NAME col VALUE val
),
problems AS (
    SELECT col, 'missing' AS problem, x_Row, val FROM mandatory WHERE val IS NULL
    UNION ALL
    SELECT col, 'number', x_Row, val FROM numbers WHERE TRY_CAST(val AS DECIMAL(38,10)) IS NULL
    UNION ALL
    SELECT col, 'too_large', x_Row, val FROM numbers
    WHERE col IN ('BilledCost', 'ContractedCost', 'EffectiveCost', 'ListCost')
      AND TRY_CAST(val AS DECIMAL(38,10)) IS NOT NULL AND TRY_CAST(val AS DECIMAL(24,10)) IS NULL
    UNION ALL
    SELECT col, 'timestamp', x_Row, val FROM stamps WHERE x_focus_try_ts(val) IS NULL
    UNION ALL
    SELECT 'Tags', 'json', x_Row, Tags FROM d WHERE Tags IS NOT NULL AND TRY_CAST(Tags AS JSON) IS NULL
    UNION ALL
    SELECT 'ChargeCategory', 'charge_category', x_Row, ChargeCategory FROM d
    WHERE ChargeCategory NOT IN ('Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment')
    UNION ALL
    SELECT col, 'currency', x_Row, val FROM currencies
    WHERE NOT list_contains($currencies::VARCHAR[], val)
)
SELECT col, problem, count(*) AS bad_rows, min(x_Row) AS first_row, arg_min(val, x_Row) AS example
FROM problems
GROUP BY col, problem
ORDER BY first_row, col
