-- Migration 013: one definition of each rule that readers used to copy.
--   rpt_current_invoices   now reads "the current run" from rpt_current_runs (migration 006)
--                          instead of computing it again.
--   rpt_scoped_invoices    THE invoice scope rule, a table macro: the current invoices a user's
--                          organisation may see. rpt_invoices and rpt_invoice_lines both read it,
--                          so lines can never be read outside the invoice scope, and the rule
--                          cannot drift between them.
CREATE OR REPLACE VIEW rpt_current_invoices AS
WITH issued AS (
    SELECT * FROM invoices WHERE status = 'issued'
),
drafts AS (
    SELECT i.*
    FROM invoices i
    JOIN rpt_current_runs r ON r.x_Period = i.x_Period AND r.run_id = i.run_id
    WHERE i.status = 'draft'
      AND NOT EXISTS (
          SELECT 1 FROM issued s
          WHERE s.seller = i.seller AND s.buyer = i.buyer AND s.x_Period = i.x_Period
      )
),
final AS (
    SELECT * FROM issued
    UNION ALL
    SELECT * FROM drafts
)
SELECT * FROM final;

-- Scope rule: seller = p_org (buyer in p_customers, NULL = every buyer) when p_seller_view, or
-- buyer = p_org when p_buyer_view; never an invoice between two other organisations. Filters,
-- NULL = all: p_period, p_buyer, p_invoice_id.
CREATE MACRO rpt_scoped_invoices(p_org, p_seller_view, p_customers, p_buyer_view, p_period, p_buyer,
                                 p_invoice_id) AS TABLE
SELECT *
FROM rpt_current_invoices
WHERE (
        (p_seller_view AND seller = p_org
         AND (p_customers IS NULL OR list_contains(p_customers, buyer)))
     OR (p_buyer_view AND buyer = p_org)
      )
  AND (p_period IS NULL OR x_Period = p_period)
  AND (p_buyer IS NULL OR buyer = p_buyer)
  AND (p_invoice_id IS NULL OR invoice_id = p_invoice_id);
