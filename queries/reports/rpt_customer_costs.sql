-- rpt_customer_costs: one buyer's month at its own price, summed by one dimension, from the
-- priced ledger at group grain (docs/pricing.md §2). Fees are invoice lines, not ledger rows,
-- so they are not in this breakdown; the month total is always the invoice (customer_summary).
-- Returns one row per dimension value: ProviderName, ServiceName, SubAccountId, RegionId,
--   ServiceCategory (only the columns $by names are set, the others are NULL), x_BuyerCurrency,
--   price (Σ x_PriceBuyer, DECIMAL(38,10), unrounded), x_RowCount.
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge);
--   $customers VARCHAR[] (NULL = every end customer on the edge, else only these: account
--   managers); filters, NULL = all: $sub_account VARCHAR, $service VARCHAR (ServiceName),
--   $region VARCHAR (RegionId);
--   $by: 'service' | 'provider' | 'sub_account' | 'region' | 'category'.
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer of the period's current run
--   only; queries.scope checks the user may see that edge before calling. Reads x_PriceBuyer
--   (the buyer's price) and nothing of the seller's cost.
WITH runs AS (
    SELECT run_id FROM rpt_current_runs WHERE x_Period = $period::DATE
),

ledger AS (
    SELECT l.*
    FROM fct_ledger l
    JOIN runs r ON r.run_id = l.run_id
    WHERE l.x_Period = $period::DATE
),

edge AS (
    SELECT *
    FROM ledger
    WHERE x_SellerId = $seller
      AND x_BuyerId = $buyer
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], x_CustomerId))
      AND ($sub_account::VARCHAR IS NULL OR SubAccountId = $sub_account::VARCHAR)
      AND ($service::VARCHAR IS NULL OR ServiceName = $service::VARCHAR)
      AND ($region::VARCHAR IS NULL OR RegionId = $region::VARCHAR)
),

dimensioned AS (
    SELECT
        CASE WHEN $by IN ('service', 'provider') THEN ProviderName END AS ProviderName,
        CASE WHEN $by = 'service' THEN ServiceName END AS ServiceName,
        CASE WHEN $by = 'sub_account' THEN SubAccountId END AS SubAccountId,
        CASE WHEN $by = 'region' THEN RegionId END AS RegionId,
        CASE WHEN $by = 'category' THEN ServiceCategory END AS ServiceCategory,
        x_BuyerCurrency,
        x_PriceBuyer,
        x_RowCount
    FROM edge
),

final AS (
    SELECT
        ProviderName, ServiceName, SubAccountId, RegionId, ServiceCategory, x_BuyerCurrency,
        sum(x_PriceBuyer) AS price,
        sum(x_RowCount) AS x_RowCount
    FROM dimensioned
    GROUP BY ALL
)

SELECT * FROM final ORDER BY price DESC, ProviderName, ServiceName, SubAccountId, RegionId, ServiceCategory
