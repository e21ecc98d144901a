-- rpt_credit_notes: the credit notes a user may see, with both parties' names and the number of
-- the invoice each credits.
-- Returns one row per credit note: credit_note_id, number, invoice_id, invoice_number, x_Period
--   (the invoice's period), seller, seller_name, buyer, buyer_name, currency, amount,
--   tax_rate_pct, tax, total, reason, issued_at.
-- Parameters: as rpt_invoices: $org VARCHAR; $seller_view BOOLEAN; $customers VARCHAR[] (NULL =
--   every buyer); $buyer_view BOOLEAN; filters, NULL = all: $period DATE, $buyer VARCHAR,
--   $invoice_id BIGINT (the credited invoice).
-- Scope rule: a credit note is visible exactly when the invoice it credits is: the invoice scope
--   rule rpt_scoped_invoices (migration 013), one definition for invoices, lines and credit notes.
WITH scoped AS (
    SELECT *
    FROM rpt_scoped_invoices($org, $seller_view, $customers::VARCHAR[], $buyer_view, $period::DATE,
                             $buyer::VARCHAR, $invoice_id::BIGINT)
),

notes AS (
    SELECT * FROM credit_notes
),

orgs AS (
    SELECT id, name FROM cfg_organizations
),

final AS (
    SELECT
        n.credit_note_id,
        n.number,
        n.invoice_id,
        s.number AS invoice_number,
        n.x_Period,
        n.seller,
        coalesce(so.name, n.seller) AS seller_name,
        n.buyer,
        coalesce(bo.name, n.buyer) AS buyer_name,
        n.currency,
        n.amount,
        n.tax_rate_pct,
        n.tax,
        n.total,
        n.reason,
        n.issued_at
    FROM notes n
    JOIN scoped s ON s.invoice_id = n.invoice_id
    LEFT JOIN orgs so ON so.id = n.seller
    LEFT JOIN orgs bo ON bo.id = n.buyer
)

SELECT * FROM final ORDER BY x_Period DESC, seller, credit_note_id
