-- rpt_reconciliation: each provider invoice of a period against what the billing run did with it
-- (docs/pricing.md §9, DOMAIN §8). The provider side comes from landing_focus, the other terms
-- from the current run's ledger and exceptions, independently, so `difference` is a real check.
-- Unit: the provider invoice (ProviderName, BillingAccountId, InvoiceId, BillingCurrency); rows
--   without an InvoiceId reconcile per billing account.
-- Returns one row per unit: ProviderName, BillingAccountId, InvoiceId, BillingCurrency,
--   provider_total (Σ BilledCost of every landed row), provider_tax (Σ BilledCost of Tax rows),
--   assigned (edge-1 BilledCost of groups other than retained credits), retained_credits
--   (edge-1 BilledCost of retained-credit groups), unassigned (fct_exceptions 'unassigned'),
--   difference = provider_total − assigned − unassigned − retained_credits − provider_tax.
-- Parameters: $period DATE.
-- Scope rule: the provider's own figures and the root's cost: queries.scope lets only admins and
--   leaders of the root organisation call it.
WITH runs AS (
    SELECT run_id FROM rpt_current_runs WHERE x_Period = $period::DATE
),

landing AS (
    SELECT * FROM landing_focus WHERE x_Period = $period::DATE
),

edge_one AS (
    SELECT l.*
    FROM fct_ledger l
    JOIN runs r ON r.run_id = l.run_id
    WHERE l.x_Period = $period::DATE AND l.x_Depth = 1
),

exceptions AS (
    SELECT e.*
    FROM fct_exceptions e
    JOIN runs r ON r.run_id = e.run_id
    WHERE e.kind = 'unassigned'
),

provider AS (
    SELECT
        ProviderName, BillingAccountId, InvoiceId, BillingCurrency,
        sum(BilledCost) AS provider_total,
        sum(CASE WHEN ChargeCategory = 'Tax' THEN BilledCost ELSE 0 END) AS provider_tax
    FROM landing
    GROUP BY ALL
),

ledger_side AS (
    SELECT
        ProviderName, BillingAccountId, InvoiceId, BillingCurrency,
        sum(CASE WHEN x_Treatment NOT IN ('retained_credit', 'provider_tax') THEN BilledCost ELSE 0 END) AS assigned,
        sum(CASE WHEN x_Treatment = 'retained_credit' THEN BilledCost ELSE 0 END) AS retained_credits
    FROM edge_one
    GROUP BY ALL
),

unassigned AS (
    SELECT ProviderName, BillingAccountId, InvoiceId, BillingCurrency, sum(BilledCost) AS unassigned
    FROM exceptions
    GROUP BY ALL
),

units AS (
    SELECT ProviderName, BillingAccountId, InvoiceId, BillingCurrency FROM provider
    UNION
    SELECT ProviderName, BillingAccountId, InvoiceId, BillingCurrency FROM ledger_side
    UNION
    SELECT ProviderName, BillingAccountId, InvoiceId, BillingCurrency FROM unassigned
),

final AS (
    SELECT
        u.ProviderName,
        u.BillingAccountId,
        u.InvoiceId,
        u.BillingCurrency,
        coalesce(p.provider_total, 0) AS provider_total,
        coalesce(l.assigned, 0) AS assigned,
        coalesce(x.unassigned, 0) AS unassigned,
        coalesce(l.retained_credits, 0) AS retained_credits,
        coalesce(p.provider_tax, 0) AS provider_tax,
        coalesce(p.provider_total, 0) - coalesce(l.assigned, 0) - coalesce(x.unassigned, 0)
            - coalesce(l.retained_credits, 0) - coalesce(p.provider_tax, 0) AS difference
    FROM units u
    LEFT JOIN provider p ON p.ProviderName = u.ProviderName AND p.BillingAccountId = u.BillingAccountId
        AND p.InvoiceId IS NOT DISTINCT FROM u.InvoiceId AND p.BillingCurrency = u.BillingCurrency
    LEFT JOIN ledger_side l ON l.ProviderName = u.ProviderName AND l.BillingAccountId = u.BillingAccountId
        AND l.InvoiceId IS NOT DISTINCT FROM u.InvoiceId AND l.BillingCurrency = u.BillingCurrency
    LEFT JOIN unassigned x ON x.ProviderName = u.ProviderName AND x.BillingAccountId = u.BillingAccountId
        AND x.InvoiceId IS NOT DISTINCT FROM u.InvoiceId AND x.BillingCurrency = u.BillingCurrency
)

SELECT * FROM final ORDER BY ProviderName, BillingAccountId, InvoiceId, BillingCurrency
