-- rpt_invoices: the current invoices a user may see, with both parties' names.
-- Returns one row per invoice: invoice_id, run_id, x_Period, seller, seller_name, buyer,
--   buyer_name, currency, status, number, subtotal, tax_rate_pct, tax, total, issued_at.
-- Current: the view rpt_current_invoices (migrations 004, 013): every issued invoice, plus the
--   drafts of each period's current run (rpt_current_runs) that no issued invoice supersedes.
-- Parameters: $org VARCHAR (the user's organisation);
--   $seller_view BOOLEAN (invoices $org issues); $customers VARCHAR[] (NULL = to every buyer,
--   else only to these buyers: account managers); $buyer_view BOOLEAN (invoices $org receives);
--   filters, NULL = all: $period DATE, $buyer VARCHAR, $invoice_id BIGINT.
-- Scope rule: seller = $org (buyer in $customers) when $seller_view, or buyer = $org when
--   $buyer_view. Never an invoice between two other organisations.
WITH scoped AS (   -- the invoice scope rule (migration 013), one definition for invoices and lines
    SELECT *
    FROM rpt_scoped_invoices($org, $seller_view, $customers::VARCHAR[], $buyer_view, $period::DATE,
                             $buyer::VARCHAR, $invoice_id::BIGINT)
),

orgs AS (
    SELECT id, name FROM cfg_organizations
),

final AS (
    SELECT
        s.invoice_id,
        s.run_id,
        s.x_Period,
        s.seller,
        coalesce(so.name, s.seller) AS seller_name,
        s.buyer,
        coalesce(bo.name, s.buyer) AS buyer_name,
        s.currency,
        s.status,
        s.number,
        s.subtotal,
        s.tax_rate_pct,
        s.tax,
        s.total,
        s.issued_at
    FROM scoped s
    LEFT JOIN orgs so ON so.id = s.seller
    LEFT JOIN orgs bo ON bo.id = s.buyer
)

SELECT * FROM final ORDER BY x_Period DESC, seller, buyer, invoice_id
