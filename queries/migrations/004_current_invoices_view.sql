-- Migration 004: the one definition of "the current invoices", read by every rpt_ query.
-- Current = every issued invoice, plus the drafts of each period's latest successful billing run
-- whose (seller, buyer, period) has no issued invoice (an issued invoice supersedes the draft).
CREATE VIEW rpt_current_invoices AS
WITH runs AS (
    SELECT x_Period, max(run_id) AS run_id
    FROM billing_runs
    WHERE status = 'ok'
    GROUP BY x_Period
),
issued AS (
    SELECT * FROM invoices WHERE status = 'issued'
),
drafts AS (
    SELECT i.*
    FROM invoices i
    JOIN runs r ON r.x_Period = i.x_Period AND r.run_id = i.run_id
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
