-- fct_exceptions_unassigned: records the period's groups that map to no customer (revenue leakage).
-- Inserts into fct_exceptions (kind 'unassigned'). Reads the run's fct_groups.
-- Parameters: $run_id BIGINT, $period DATE.
INSERT INTO fct_exceptions BY NAME
WITH unassigned AS (
    SELECT * FROM fct_groups WHERE run_id = $run_id AND x_CustomerId IS NULL
),
final AS (
    SELECT
        $run_id AS run_id, $period AS x_Period, 'unassigned' AS kind,
        NULL AS x_SellerId, NULL AS x_BuyerId,
        ProviderName, BillingAccountId, InvoiceId, SubAccountId, ServiceName, SkuId, BillingCurrency,
        sum(x_RowCount) AS x_RowCount, sum(BilledCost) AS BilledCost,
        'no account mapping or tag rule matches' AS detail
    FROM unassigned
    GROUP BY ProviderName, BillingAccountId, InvoiceId, SubAccountId, ServiceName, SkuId, BillingCurrency
)
SELECT * FROM final;
