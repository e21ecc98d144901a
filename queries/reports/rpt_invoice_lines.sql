-- rpt_invoice_lines: the lines of the current invoices a user may see (the same scope rule and
-- filters as rpt_invoices: the table macro rpt_scoped_invoices, so that lines can never be read
-- for an invoice outside it).
-- Returns one row per line: invoice_id, line_no, kind, description, ProviderName, ServiceName,
--   amount (rounded to the currency's minor unit), detail (JSON text).
-- Parameters: $org VARCHAR; $seller_view BOOLEAN; $customers VARCHAR[] (NULL = every buyer);
--   $buyer_view BOOLEAN; filters, NULL = all: $period DATE, $buyer VARCHAR, $invoice_id BIGINT.
-- Scope rule: as rpt_invoices: seller = $org (buyer in $customers) when $seller_view, or
--   buyer = $org when $buyer_view.
WITH scoped AS (   -- the invoice scope rule (migration 013), one definition for invoices and lines
    SELECT invoice_id
    FROM rpt_scoped_invoices($org, $seller_view, $customers::VARCHAR[], $buyer_view, $period::DATE,
                             $buyer::VARCHAR, $invoice_id::BIGINT)
),

lines AS (
    SELECT * FROM invoice_lines
),

final AS (
    SELECT
        l.invoice_id,
        l.line_no,
        l.kind,
        l.description,
        l.ProviderName,
        l.ServiceName,
        l.amount,
        l.detail::VARCHAR AS detail
    FROM lines l
    JOIN scoped s ON s.invoice_id = l.invoice_id
)

SELECT * FROM final ORDER BY invoice_id, line_no
