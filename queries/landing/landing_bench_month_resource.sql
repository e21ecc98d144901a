-- landing_bench_month_resource: a synthetic FOCUS 1.2 month for bench/generate.py (bench-only),
-- shape "resource": rows come from resources that keep their sub-account, SKU and region all
-- month and bill one row a day. Resource r runs 5–31 consecutive days (about 18 on average), so a
-- pricing group holds about 18 rows. Each sub-account's resources use 60 of $skus SKUs in 3 of 16
-- regions; every 97th resource is a credit, every 89th provider tax. Sub-account n is
-- 300000000000 + n under payer 100000000000 + n % 50; the sub-accounts after the mapped ones
-- (bench/generate.py) are mapped to no customer. Exactly $rows rows, the same for the same $seed (row order too).
-- Returns the FOCUS columns bench/generate.py writes to Parquet.
-- Parameters: $rows BIGINT, $subs BIGINT, $skus BIGINT, $seed BIGINT, $period DATE (a May: 31 days).
WITH resources AS (
    SELECT
        r,
        5 + hash(r, $seed, 1) % 27 AS days
    FROM range(($rows::BIGINT // 5) + 1) t(r)
),
placed AS (
    SELECT
        r, days,
        sum(days) OVER (ORDER BY r ROWS UNBOUNDED PRECEDING) - days AS first_row
    FROM resources
),
kept AS (
    SELECT
        r, days, first_row,
        hash(r, $seed, 2) % (32 - days) AS start_day,
        hash(r, $seed, 3) % $subs::BIGINT AS sub_no
    FROM placed
    WHERE first_row < $rows
),
base AS (
    SELECT
        k.first_row + d.d AS i,
        k.sub_no,
        CAST((k.sub_no * 7 + hash(k.r, $seed, 4) % 60) % $skus::BIGINT AS BIGINT) AS sku_no,
        CAST((k.sub_no + hash(k.r, $seed, 5) % 3) % 16 AS BIGINT) AS region_no,
        CASE WHEN k.r % 97 = 0 THEN 'Credit' WHEN k.r % 89 = 0 THEN 'Tax' ELSE 'Usage' END AS cat,
        CAST($period AS TIMESTAMP) + to_days(CAST(k.start_day + d.d AS INTEGER)) AS cps,
        INTERVAL 1 DAY AS span,
        hash(k.r, d.d, $seed, 6) % 100000 AS h,
        k.r AS resource_no
    FROM kept k
    JOIN range(31) d(d) ON d.d < k.days AND k.first_row + d.d < $rows
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
SELECT * FROM final ORDER BY ChargePeriodStart, ResourceId
