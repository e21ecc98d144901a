-- rpt_margin: one organisation's revenue and cost on its own selling edges for one period, from
-- its own point of view (docs/pricing.md §9), in total or broken down.
-- Returns one row per (k1, k2, currency): k1, k2 (the breakdown keys, see $by), currency,
--   revenue (Σ of rounded invoice amounts: subtotals for 'total'/'customer', non-tax lines for
--   'provider'/'service'; less the amounts of the credit notes against those invoices, before
--   tax: per buyer for 'customer', as provider '(credit notes)' for 'provider'/'service', with
--   the credit note's number as the service), cost (Σ ledger(x_Cost × x_FxRate): the seller's cost converted at the
--   period rate into the invoice currency; for a non-root seller plus, in its own currency, what its
--   seller invoices it beyond that: received subtotals − received credit notes − Σ x_CostSeller,
--   as k1 '(paid to <seller>)' (k2 '(fees and adjustments)' by service), so the cost in all is
--   what it is invoiced; UNROUNDED, the caller rounds it once).
-- Parameters: $org VARCHAR (the seller); $period DATE; $customers VARCHAR[] (NULL = every buyer,
--   else only these buyers: account managers); $by: 'total' (k1, k2 NULL) | 'customer'
--   (k1 = buyer) | 'provider' (k1 = ProviderName, '(fees)' for fee lines) | 'service'
--   (k1 = ProviderName, k2 = ServiceName, '(credits)' for passed credits, the fee's name for fees).
-- Scope rule: invoices with seller = $org and ledger edges with x_SellerId = $org only: never an
--   edge $org buys on (a reseller never sees its distributor's cost) and never an edge below its
--   buyers (a distributor never sees its resellers' prices); and the invoices $org receives itself
--   (with their credit notes), for its cost.
WITH runs AS (
    SELECT x_Period, run_id FROM rpt_current_runs
),

current_invoices AS (
    SELECT * FROM rpt_current_invoices WHERE x_Period = $period::DATE
),

lines_all AS (
    SELECT * FROM invoice_lines
),

ledger_all AS (
    SELECT l.*
    FROM fct_ledger l
    JOIN runs r ON r.x_Period = l.x_Period AND r.run_id = l.run_id
    WHERE l.x_Period = $period::DATE
),

sold AS (
    SELECT *
    FROM current_invoices
    WHERE seller = $org
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], buyer))
),

credited AS (   -- credit notes count in the credited invoice's period (migration 014)
    SELECT c.number, s.buyer, s.currency, c.amount
    FROM credit_notes c
    JOIN sold s ON s.invoice_id = c.invoice_id
),

sold_lines AS (
    SELECT l.*, s.buyer, s.currency
    FROM lines_all l
    JOIN sold s ON s.invoice_id = l.invoice_id
    WHERE l.kind <> 'tax'
),

selling_edges AS (
    SELECT *
    FROM ledger_all
    WHERE x_SellerId = $org
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], x_BuyerId))
),

revenue_items AS (
    SELECT
        CASE WHEN $by = 'customer' THEN buyer END AS k1,
        CAST(NULL AS VARCHAR) AS k2,
        currency,
        subtotal AS amount
    FROM sold
    WHERE $by IN ('total', 'customer')
    UNION ALL
    SELECT
        coalesce(ProviderName, '(fees)') AS k1,
        CASE WHEN $by = 'service' THEN
            CASE kind WHEN 'service' THEN ServiceName WHEN 'credit' THEN '(credits)' ELSE description END
        END AS k2,
        currency,
        amount
    FROM sold_lines
    WHERE $by IN ('provider', 'service')
    UNION ALL
    SELECT
        CASE WHEN $by = 'customer' THEN buyer WHEN $by IN ('provider', 'service') THEN '(credit notes)' END AS k1,
        CASE WHEN $by = 'service' THEN number END AS k2,
        currency,
        -amount AS amount
    FROM credited
),

cost_items AS (
    SELECT
        CASE $by WHEN 'customer' THEN x_BuyerId
                 WHEN 'provider' THEN ProviderName
                 WHEN 'service' THEN ProviderName END AS k1,
        CASE WHEN $by = 'service' THEN
            CASE WHEN x_Treatment = 'passed_credit' THEN '(credits)' ELSE ServiceName END
        END AS k2,
        x_BuyerCurrency AS currency,
        CAST(x_Cost * x_FxRate AS DECIMAL(38, 10)) AS amount
    FROM selling_edges
),

-- What $org's own seller invoices it beyond the ledger cost above (docs/pricing.md §9): a
-- non-root seller's cost is everything it is invoiced for the period (usage, fees, credits,
-- corrections, net of the credit notes it received). Its selling edges' cost already counts the
-- usage at x_Cost × x_FxRate per reporting currency, so its own (buying) currency takes the rest:
-- Σ received subtotals − Σ received credit notes − Σ x_CostSeller of its selling edges. Zero
-- items for the root (it is invoiced by no one). Organisation-wide, so left out for account
-- managers' customer-filtered views; and only for an organisation that sells in the period.
bought AS (
    SELECT any_value(x_SellerId) AS seller, any_value(x_BuyerCurrency) AS currency
    FROM ledger_all
    WHERE x_BuyerId = $org
),

received AS (
    SELECT * FROM current_invoices WHERE buyer = $org
),

paid_items AS (
    SELECT seller, currency, subtotal AS amount FROM received
    UNION ALL
    SELECT r.seller, c.currency, -c.amount AS amount
    FROM credit_notes c
    JOIN received r ON r.invoice_id = c.invoice_id
    UNION ALL
    SELECT b.seller, b.currency, -l.x_CostSeller AS amount
    FROM ledger_all l, bought b
    WHERE l.x_SellerId = $org AND b.currency IS NOT NULL
),

paid_upward AS (
    SELECT
        CASE WHEN $by IN ('customer', 'provider', 'service') THEN '(paid to ' || seller || ')' END AS k1,
        CASE WHEN $by = 'service' THEN '(fees and adjustments)' END AS k2,
        currency,
        CAST(amount AS DECIMAL(38, 10)) AS amount
    FROM paid_items
    WHERE $customers::VARCHAR[] IS NULL
      AND (EXISTS (SELECT 1 FROM sold) OR EXISTS (SELECT 1 FROM selling_edges))   -- it sells
),

revenue AS (
    SELECT k1, k2, currency, sum(amount) AS revenue FROM revenue_items GROUP BY ALL
),

cost AS (
    SELECT k1, k2, currency, sum(amount) AS cost
    FROM (SELECT * FROM cost_items UNION ALL SELECT * FROM paid_upward)
    GROUP BY ALL
),

final AS (
    SELECT
        coalesce(r.k1, c.k1) AS k1,
        coalesce(r.k2, c.k2) AS k2,
        coalesce(r.currency, c.currency) AS currency,
        coalesce(r.revenue, CAST(0 AS DECIMAL(38, 10))) AS revenue,
        coalesce(c.cost, CAST(0 AS DECIMAL(38, 10))) AS cost
    FROM revenue r
    FULL OUTER JOIN cost c
      ON r.k1 IS NOT DISTINCT FROM c.k1
     AND r.k2 IS NOT DISTINCT FROM c.k2
     AND r.currency = c.currency
)

SELECT * FROM final ORDER BY k1 NULLS first, k2 NULLS first, currency
