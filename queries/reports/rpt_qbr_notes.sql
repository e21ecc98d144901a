-- rpt_qbr_notes: the next steps saved for one customer's quarterly business review.
-- Returns at most one row: steps (VARCHAR[]), updated_by, updated_at.
-- Parameters: $seller VARCHAR, $customer VARCHAR (the edge), $quarter VARCHAR ('2026Q3').
-- Scope rule: the edge $seller → $customer only, checked by queries.reports.qbr.check_review
--   before the call (account managers: an assigned customer; admins and leaders: a customer
--   their organisation sells to). Notes of another seller are never read.
WITH notes AS (
    SELECT * FROM qbr_notes
),

final AS (
    SELECT steps, updated_by, updated_at
    FROM notes
    WHERE seller_id = $seller
      AND customer_id = $customer
      AND quarter = $quarter
)

SELECT * FROM final
