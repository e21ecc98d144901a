-- landing_bench_month_bench: a synthetic FOCUS 1.2 month for bench/generate.py (bench-only),
-- shape "bench": the rows of bench/generate_landing.sql (the billing benchmark's shape since
-- issue #3) as a FOCUS file. Row i belongs to sub-account i % $subs, uses one of 60 of the $skus
-- SKUs of its sub-account in one of 3 regions, in hour i % 720; every 97th row is a credit,
-- every 89th provider tax. About 2.5–2.9 million pricing groups for 10–100 million rows.
-- Sub-account n is 300000000000 + n under payer 100000000000 + n % 50; the sub-accounts after the mapped ones are
-- mapped to no customer. Exactly $rows rows, the same for the same $seed, in row order.
-- Returns the FOCUS columns bench/generate.py writes to Parquet.
-- Parameters: $rows BIGINT, $subs BIGINT, $skus BIGINT, $seed BIGINT, $period DATE.
WITH base AS (
    SELECT
        i,
        i % $subs::BIGINT AS sub_no,
        CAST((i % $subs::BIGINT * 7 + hash(i, $seed) % 60) % $skus::BIGINT AS BIGINT) AS sku_no,
        CAST(hash(i + 1, $seed) % 3 AS BIGINT) AS region_no,
        CASE WHEN i % 97 = 0 THEN 'Credit' WHEN i % 89 = 0 THEN 'Tax' ELSE 'Usage' END AS cat,
        CAST($period AS TIMESTAMP) + to_hours(CAST(i % 720 AS BIGINT)) AS cps,
        INTERVAL 1 HOUR AS span,
        hash(i, $seed, 6) % 100000 AS h,
        i AS resource_no
    FROM range($rows::BIGINT) t(i)
),
amounts AS (
    SELECT
        *,
        -- ListCost = quantity (3 places) × unit price (7 places): exactly 10 places
        CAST((h + 1) AS DECIMAL(18,0)) * CAST(0.001 AS DECIMAL(4,3)) AS qty,
        CAST(1000 + hash(sku_no, $seed, 7) % 900000 AS DECIMAL(18,0)) * CAST(0.0000001 AS DECIMAL(8,7)) AS unit_price
    FROM base
),
costs AS (
    SELECT
        *,
        CAST(CASE WHEN cat = 'Credit' THEN -1 ELSE 1 END * qty * unit_price AS DECIMAL(38,10)) AS list_cost
    FROM amounts
),
final AS (
    SELECT
        'AWS' AS ProviderName,
        'AWS' AS PublisherName,
        'AWS' AS InvoiceIssuerName,
        'INV-2026-05-' || CAST(sub_no % 50 AS VARCHAR) AS InvoiceId,
        CAST(100000000000 + sub_no % 50 AS VARCHAR) AS BillingAccountId,
        'Payer ' || CAST(sub_no % 50 AS VARCHAR) AS BillingAccountName,
        'Payer Account' AS BillingAccountType,
        CAST(300000000000 + sub_no AS VARCHAR) AS SubAccountId,
        'linked-' || CAST(sub_no AS VARCHAR) AS SubAccountName,
        CAST($period AS TIMESTAMP) AS BillingPeriodStart,
        CAST($period AS TIMESTAMP) + INTERVAL 1 MONTH AS BillingPeriodEnd,
        cps AS ChargePeriodStart,
        cps + span AS ChargePeriodEnd,
        cat AS ChargeCategory,
        'Service' || CAST(sku_no % 30 AS VARCHAR) || ' ' || lower(cat) AS ChargeDescription,
        'Usage-Based' AS ChargeFrequency,
        CAST(list_cost * CAST(0.8730 AS DECIMAL(5,4)) AS DECIMAL(38,10)) AS BilledCost,
        CAST(list_cost * CAST(0.8730 AS DECIMAL(5,4)) AS DECIMAL(38,10)) AS EffectiveCost,
        list_cost AS ListCost,
        CAST(list_cost * CAST(0.9000 AS DECIMAL(5,4)) AS DECIMAL(38,10)) AS ContractedCost,
        CAST(unit_price AS DECIMAL(38,10)) AS ListUnitPrice,
        CAST(unit_price * CAST(0.9 AS DECIMAL(2,1)) AS DECIMAL(38,10)) AS ContractedUnitPrice,
        'Standard' AS PricingCategory,
        CAST(qty AS DECIMAL(38,10)) AS PricingQuantity,
        'Hours' AS PricingUnit,
        'USD' AS PricingCurrency,
        'USD' AS BillingCurrency,
        CAST(qty AS DECIMAL(38,10)) AS ConsumedQuantity,
        'Hours' AS ConsumedUnit,
        'Service' || CAST(sku_no % 30 AS VARCHAR) AS ServiceName,
        ['Compute', 'Storage', 'Databases', 'Networking'][1 + sku_no % 4] AS ServiceCategory,
        'SKU-' || CAST(sku_no AS VARCHAR) AS SkuId,
        'SPRICE-' || CAST(sku_no AS VARCHAR) AS SkuPriceId,
        'region-' || CAST(region_no AS VARCHAR) AS RegionId,
        'Region ' || CAST(region_no AS VARCHAR) AS RegionName,
        'res-' || CAST(resource_no AS VARCHAR) AS ResourceId,
        'res-' || CAST(resource_no AS VARCHAR) AS ResourceName,
        'Instance' AS ResourceType,
        '{"env":"' || ['prod', 'dev', 'test'][1 + resource_no % 3] || '"}' AS Tags
    FROM costs
)
SELECT * FROM final
