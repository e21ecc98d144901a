-- fct_invoice_sums: what each draft invoice line adds up, before rounding (docs/pricing.md §7).
-- Returns one row per (seller, buyer, treatment, provider, service, charge class, corrected month
-- x_CorrectsPeriod: NULL but for provider corrections) of the run's ledger with Σ x_PriceBuyer
-- (buyer currency, unrounded) and the row count.
-- Retained credits are not invoiced. Parameters: $run_id BIGINT.
WITH ledger AS (
    SELECT * FROM fct_ledger WHERE run_id = $run_id AND x_Treatment <> 'retained_credit'
),
final AS (
    SELECT
        x_SellerId, x_BuyerId, x_Treatment, ProviderName, ServiceName, ChargeClass, x_CorrectsPeriod,
        sum(x_PriceBuyer) AS price, sum(x_RowCount) AS x_RowCount
    FROM ledger
    GROUP BY ALL
)
SELECT * FROM final ORDER BY x_SellerId, x_BuyerId, x_Treatment, ProviderName, ServiceName, ChargeClass,
                           x_CorrectsPeriod;
