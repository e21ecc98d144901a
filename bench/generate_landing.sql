-- bench/generate_landing.sql: synthetic FOCUS rows straight into landing_focus for the billing
-- benchmark (bench-only; never used by the product). Row i belongs to sub-account i % $subs
-- (ids 300000000000 + n), SKU i % 200, region i % 10; one delivery per billing account
-- (x_IngestId 1–50), which bench/billing.py then records the way ingest does.
-- Parameters: $rows BIGINT, $subs BIGINT (the last 100 are mapped to no customer), $period DATE.
INSERT INTO landing_focus BY NAME
WITH gen AS (
    SELECT
        i,
        i % $subs AS sub_no,
        CAST((i % $subs * 7 + hash(i) % 60) % 200 AS BIGINT) AS sku_no,
        CAST(hash(i + 1) % 3 AS BIGINT) AS region_no,
        hash(i) % 100000 AS h
    FROM range($rows) t(i)
),
final AS (
    SELECT
        CAST(h AS DECIMAL(18,0)) * CAST(0.0001 AS DECIMAL(18,4)) AS ListCost,
        CAST(h AS DECIMAL(18,0)) * CAST(0.00009 AS DECIMAL(18,5)) AS ContractedCost,
        CAST(h AS DECIMAL(18,0)) * CAST(0.000085 AS DECIMAL(18,6)) AS BilledCost,
        CAST(h AS DECIMAL(18,0)) * CAST(0.000085 AS DECIMAL(18,6)) AS EffectiveCost,
        'AWS' AS ProviderName,
        CAST(100000000000 + sub_no % 50 AS VARCHAR) AS BillingAccountId,
        CAST(300000000000 + sub_no AS VARCHAR) AS SubAccountId,
        'USD' AS BillingCurrency,
        CAST($period AS TIMESTAMP) AS BillingPeriodStart,
        CAST($period AS TIMESTAMP) + INTERVAL 1 MONTH AS BillingPeriodEnd,
        CAST($period AS TIMESTAMP) + INTERVAL (i % 720) HOUR AS ChargePeriodStart,
        CAST($period AS TIMESTAMP) + INTERVAL (i % 720 + 1) HOUR AS ChargePeriodEnd,
        CASE WHEN i % 97 = 0 THEN 'Credit' WHEN i % 89 = 0 THEN 'Tax' ELSE 'Usage' END AS ChargeCategory,
        ['Compute', 'Storage', 'Databases', 'Networking'][1 + sku_no % 4] AS ServiceCategory,
        'Service' || CAST(sku_no % 30 AS VARCHAR) AS ServiceName,
        'SKU-' || CAST(sku_no AS VARCHAR) AS SkuId,
        'region-' || CAST(region_no AS VARCHAR) AS RegionId,
        'INV-' || CAST(sub_no % 50 AS VARCHAR) AS InvoiceId,
        $period AS x_Period,
        1 + sub_no % 50 AS x_IngestId,
        'bench' AS x_SourceFile
    FROM gen
)
SELECT * FROM final;
