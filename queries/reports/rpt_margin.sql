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
--   (k1 = ProviderName, k2 = ServiceName, '(credits)' for passed credits, the fee's name for fees)
--   | 'end_customer' (k1 = the end customer x_CustomerId: a buyer that is a customer keeps its
--   invoice subtotals and credit notes; a reseller buyer's revenue is split over the end customers
--   of its rows at $org's price (Σ x_PriceBuyer), the rest of its invoices (fees, line rounding,
--   corrections, credit notes) as k1 '(<buyer>: fees and adjustments)') | 'source' (k1 = where the
--   margin comes from: 'usage' (priced rows without a commitment), 'commitments' (priced rows of
--   commitment purchases and covered or unused commitment usage: the savings retained),
--   'retained_credits', 'passed_credits', 'adjustments' (ledger x_Treatment), 'fees' (fee lines),
--   'credit_notes', 'rounding' (invoice subtotals less the ledger prices and fee lines: line
--   rounding and correction lines)).
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

-- The buyers that resell: by end customer their invoices are split over their rows' customers.
resellers AS (
    SELECT id FROM cfg_organizations WHERE kind = 'reseller'
),

-- Where the margin comes from (docs/pricing.md §9): the ledger's treatment of each group, and
-- whether a commitment decided its basis.
edge_sources AS (
    SELECT
        *,
        CASE
            WHEN x_Treatment = 'priced' AND (x_Commitment OR CommitmentDiscountStatus IN ('Used', 'Unused'))
                THEN 'commitments'
            WHEN x_Treatment = 'priced' THEN 'usage'
            WHEN x_Treatment = 'retained_credit' THEN 'retained_credits'
            WHEN x_Treatment = 'passed_credit' THEN 'passed_credits'
            ELSE 'adjustments'
        END AS x_Source
    FROM selling_edges
),

revenue_items AS (
    SELECT
        CASE WHEN $by IN ('customer', 'end_customer') THEN buyer END AS k1,
        CAST(NULL AS VARCHAR) AS k2,
        currency,
        subtotal AS amount
    FROM sold
    WHERE $by IN ('total', 'customer')
       OR ($by = 'end_customer' AND buyer NOT IN (SELECT id FROM resellers))
    UNION ALL
    -- a reseller buyer: its rows at $org's price per end customer …
    SELECT x_CustomerId AS k1, CAST(NULL AS VARCHAR) AS k2, x_BuyerCurrency AS currency,
           x_PriceBuyer AS amount
    FROM selling_edges
    WHERE $by = 'end_customer' AND x_BuyerId IN (SELECT id FROM resellers)
    UNION ALL
    -- … and the rest of what it is invoiced (fees, line rounding, corrections)
    SELECT '(' || buyer || ': fees and adjustments)' AS k1, CAST(NULL AS VARCHAR) AS k2, currency,
           subtotal AS amount
    FROM sold
    WHERE $by = 'end_customer' AND buyer IN (SELECT id FROM resellers)
    UNION ALL
    SELECT '(' || x_BuyerId || ': fees and adjustments)' AS k1, CAST(NULL AS VARCHAR) AS k2,
           x_BuyerCurrency AS currency, -x_PriceBuyer AS amount
    FROM selling_edges
    WHERE $by = 'end_customer' AND x_BuyerId IN (SELECT id FROM resellers)
    UNION ALL
    -- by source: the ledger prices per treatment, the fee lines, and the subtotals' rest
    SELECT x_Source AS k1, CAST(NULL AS VARCHAR) AS k2, x_BuyerCurrency AS currency, x_PriceBuyer AS amount
    FROM edge_sources
    WHERE $by = 'source'
    UNION ALL
    SELECT CASE WHEN kind = 'fee' THEN 'fees' ELSE 'rounding' END AS k1, CAST(NULL AS VARCHAR) AS k2,
           currency, amount
    FROM sold_lines
    WHERE $by = 'source' AND kind NOT IN ('service', 'credit')
    UNION ALL
    SELECT 'rounding' AS k1, CAST(NULL AS VARCHAR) AS k2, currency, amount
    FROM sold_lines
    WHERE $by = 'source' AND kind IN ('service', 'credit')
    UNION ALL
    SELECT 'rounding' AS k1, CAST(NULL AS VARCHAR) AS k2, x_BuyerCurrency AS currency, -x_PriceBuyer AS amount
    FROM edge_sources
    WHERE $by = 'source'
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
        CASE WHEN $by = 'customer' THEN buyer
             WHEN $by = 'end_customer' AND buyer IN (SELECT id FROM resellers)
                 THEN '(' || buyer || ': fees and adjustments)'
             WHEN $by = 'end_customer' THEN buyer
             WHEN $by = 'source' THEN 'credit_notes'
             WHEN $by IN ('provider', 'service') THEN '(credit notes)' END AS k1,
        CASE WHEN $by = 'service' THEN number END AS k2,
        currency,
        -amount AS amount
    FROM credited
),

cost_items AS (
    SELECT
        CASE $by WHEN 'customer' THEN x_BuyerId
                 WHEN 'end_customer' THEN x_CustomerId
                 WHEN 'source' THEN x_Source
                 WHEN 'provider' THEN ProviderName
                 WHEN 'service' THEN ProviderName END AS k1,
        CASE WHEN $by = 'service' THEN
            CASE WHEN x_Treatment = 'passed_credit' THEN '(credits)' ELSE ServiceName END
        END AS k2,
        x_BuyerCurrency AS currency,
        CAST(x_Cost * x_FxRate AS DECIMAL(38, 10)) AS amount
    FROM edge_sources
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
        CASE WHEN $by IN ('customer', 'end_customer', 'source', 'provider', 'service')
             THEN '(paid to ' || seller || ')' END AS k1,
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
