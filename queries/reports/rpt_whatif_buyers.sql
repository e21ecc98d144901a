-- rpt_whatif_buyers: the buyers a plan is sold on in a period, with what the period's current
-- invoice says today (data/whatif.py prices the same rows again with a changed plan).
-- Returns one row per buyer: buyer, name, currency (the current invoice's, else the
--   organisation's), tax_rate_pct, current_subtotal (DECIMAL, the current invoice's subtotal;
--   NULL when there is none), corrections (Σ the invoice's correction lines: they carry earlier
--   periods' differences and do not depend on the plan), cost (Σ x_Cost × x_FxRate of the
--   buyer's rows on the edge, in its currency, UNROUNDED: the seller's cost of what it sells it,
--   as rpt_margin counts it); ordered by buyer.
-- Parameters: $org VARCHAR (the seller, owner of the plan); $plan VARCHAR (the plan id);
--   $period DATE.
-- Scope rule: the edges $org sells on only (its invoices, its cost on them); data/whatif.py lets
--   only admins and leaders of the plan's owner call it. Reads the current run; writes nothing.
WITH runs AS (
    SELECT run_id FROM rpt_current_runs WHERE x_Period = $period::DATE
),

run_edges AS (      -- the buyers the current run priced on $plan
    SELECT DISTINCT e.x_BuyerId AS buyer
    FROM fct_edges e
    JOIN runs r ON r.run_id = e.run_id
    WHERE e.x_SellerId = $org AND e.plan_id = $plan
),

configured AS (     -- and those the plan is configured for (a fixed fee invoices them without rows)
    SELECT id AS buyer FROM cfg_organizations WHERE parent = $org AND plan = $plan
),

buyers AS (
    SELECT buyer FROM run_edges
    UNION
    SELECT buyer FROM configured
),

current_invoice AS (
    SELECT invoice_id, buyer, currency, subtotal
    FROM rpt_current_invoices
    WHERE x_Period = $period::DATE AND seller = $org
),

corrections AS (
    SELECT i.buyer, sum(l.amount) AS corrections
    FROM current_invoice i
    JOIN invoice_lines l ON l.invoice_id = i.invoice_id
    WHERE l.kind = 'correction'
    GROUP BY ALL
),

edge_cost AS (
    SELECT l.x_BuyerId AS buyer, sum(CAST(l.x_Cost * l.x_FxRate AS DECIMAL(38, 10))) AS cost
    FROM fct_ledger l
    JOIN runs r ON r.run_id = l.run_id
    WHERE l.x_Period = $period::DATE AND l.x_SellerId = $org
    GROUP BY ALL
),

final AS (
    SELECT
        b.buyer,
        coalesce(o.name, b.buyer) AS name,
        coalesce(i.currency, o.currency) AS currency,
        coalesce(o.tax_rate_pct, 0) AS tax_rate_pct,
        i.subtotal AS current_subtotal,
        coalesce(c.corrections, 0) AS corrections,
        coalesce(k.cost, 0) AS cost
    FROM buyers b
    LEFT JOIN cfg_organizations o ON o.id = b.buyer
    LEFT JOIN current_invoice i ON i.buyer = b.buyer
    LEFT JOIN corrections c ON c.buyer = b.buyer
    LEFT JOIN edge_cost k ON k.buyer = b.buyer
)

SELECT * FROM final ORDER BY buyer
