-- landing_bench_rows: synthetic FOCUS 1.2 Cost and Usage rows for bench/ingest.py (and big-file tests).
-- Returns $rows rows, every column VARCHAR exactly as a provider CSV would carry it: 3 billing
-- accounts (USD, USD, EUR), 97 sub-accounts, 8 services, hourly charge periods over May 2026,
-- money with up to 10 decimals, Usage/Purchase/Credit/Tax rows, JSON tags, and one column outside
-- the canonical set (SkuPriceDetails, kept in x_Extra). Deterministic for a given $rows.
-- Parameters: $rows BIGINT.
WITH base AS (
    SELECT
        i,
        (hash(i) >> 1)::BIGINT AS h,
        (i % 3)::BIGINT AS acct,
        (i % 8)::BIGINT AS svc,
        CASE WHEN i % 1000 = 7 THEN 'Tax'
             WHEN i % 500 = 11 THEN 'Credit'
             WHEN i % 100 = 13 THEN 'Purchase'
             ELSE 'Usage' END AS cat,
        TIMESTAMP '2026-05-01 00:00:00' + to_hours(i % 744) AS cps
    FROM range($rows::BIGINT) t(i)
),
priced AS (
    SELECT
        *,
        (h % 100000)::DECIMAL(18,3) / 1000 AS qty,
        ([0.0416, 0.0960, 0.0230, 0.1150, 0.0050, 0.2500, 0.0120, 1.2000])[svc + 1]::DECIMAL(18,10) AS unit_price
    FROM base
),
costs AS (
    SELECT
        *,
        CASE WHEN cat = 'Credit' THEN -1 ELSE 1 END * qty * unit_price AS list_cost
    FROM priced
)
SELECT
    'AWS' AS ProviderName,
    'AWS' AS PublisherName,
    'AWS' AS InvoiceIssuerName,
    'INV-2026-05-000' || (acct + 1)::VARCHAR AS InvoiceId,
    (100000000001 + acct)::VARCHAR AS BillingAccountId,
    'Payer ' || (acct + 1)::VARCHAR AS BillingAccountName,
    'Payer Account' AS BillingAccountType,
    (200000000000 + h % 97)::VARCHAR AS SubAccountId,
    'linked-' || (h % 97)::VARCHAR AS SubAccountName,
    'Linked Account' AS SubAccountType,
    '2026-05-01T00:00:00Z' AS BillingPeriodStart,
    '2026-06-01T00:00:00Z' AS BillingPeriodEnd,
    strftime(cps, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodStart,
    strftime(cps + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodEnd,
    cat AS ChargeCategory,
    NULL::VARCHAR AS ChargeClass,
    (['AmazonEC2', 'AmazonEC2', 'AmazonS3', 'AmazonRDS', 'AWSLambda', 'AmazonRedshift', 'AmazonCloudFront', 'AWSSupport'])[svc + 1]
        || ' ' || lower(cat) AS ChargeDescription,
    CASE WHEN cat = 'Purchase' THEN 'One-Time' ELSE 'Usage-Based' END AS ChargeFrequency,
    round(list_cost * 0.85, 10)::VARCHAR AS BilledCost,
    round(list_cost * 0.80, 10)::VARCHAR AS EffectiveCost,
    round(list_cost, 10)::VARCHAR AS ListCost,
    round(list_cost * 0.90, 10)::VARCHAR AS ContractedCost,
    unit_price::VARCHAR AS ListUnitPrice,
    round(unit_price * 0.90, 10)::VARCHAR AS ContractedUnitPrice,
    'Standard' AS PricingCategory,
    qty::VARCHAR AS PricingQuantity,
    'Hours' AS PricingUnit,
    CASE WHEN acct = 2 THEN 'EUR' ELSE 'USD' END AS PricingCurrency,
    CASE WHEN acct = 2 THEN 'EUR' ELSE 'USD' END AS BillingCurrency,
    qty::VARCHAR AS ConsumedQuantity,
    'Hours' AS ConsumedUnit,
    (['AmazonEC2', 'AmazonEC2', 'AmazonS3', 'AmazonRDS', 'AWSLambda', 'AmazonRedshift', 'AmazonCloudFront', 'AWSSupport'])[svc + 1] AS ServiceName,
    (['Compute', 'Compute', 'Storage', 'Databases', 'Compute', 'Analytics', 'Networking', 'Management and Governance'])[svc + 1] AS ServiceCategory,
    (['Virtual Machines', 'Virtual Machines', 'Object Storage', 'Relational Databases', 'Serverless Compute', 'Data Warehouses', 'Content Delivery', 'Support'])[svc + 1] AS ServiceSubcategory,
    'SKU-' || (h % 5000)::VARCHAR AS SkuId,
    'Usage' AS SkuMeter,
    'SPRICE-' || (h % 5000)::VARCHAR AS SkuPriceId,
    '{"x_Term":"OnDemand"}' AS SkuPriceDetails,
    'arn:aws:ec2:us-east-1:' || (200000000000 + h % 97)::VARCHAR || ':instance/i-' || (h % 1000003)::VARCHAR AS ResourceId,
    'i-' || (h % 1000003)::VARCHAR AS ResourceName,
    'Instance' AS ResourceType,
    (['us-east-1', 'eu-west-1', 'ap-southeast-2'])[(h % 3) + 1] AS RegionId,
    (['US East (N. Virginia)', 'EU (Ireland)', 'Asia Pacific (Sydney)'])[(h % 3) + 1] AS RegionName,
    NULL::VARCHAR AS AvailabilityZone,
    NULL::VARCHAR AS CommitmentDiscountId,
    NULL::VARCHAR AS CommitmentDiscountName,
    NULL::VARCHAR AS CommitmentDiscountCategory,
    NULL::VARCHAR AS CommitmentDiscountType,
    NULL::VARCHAR AS CommitmentDiscountStatus,
    NULL::VARCHAR AS CommitmentDiscountQuantity,
    NULL::VARCHAR AS CommitmentDiscountUnit,
    NULL::VARCHAR AS CapacityReservationId,
    NULL::VARCHAR AS CapacityReservationStatus,
    '{"env":"' || (['prod', 'dev', 'test'])[(h % 3) + 1] || '","team":"t' || (h % 20)::VARCHAR || '"}' AS Tags
FROM costs
