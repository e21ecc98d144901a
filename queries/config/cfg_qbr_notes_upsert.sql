-- cfg_qbr_notes_upsert: store the next steps of one customer's quarterly business review,
-- replacing the list saved before (migration 020).
-- Parameters: $seller VARCHAR, $customer VARCHAR, $quarter VARCHAR ('2026Q3'),
--   $steps VARCHAR[], $updated_by VARCHAR.
-- Returns nothing. Scope rule: the caller (data.qbr.save_next_steps) has checked through
--   queries.reports.qbr.check_review that the user may review that customer, and passes the
--   edge's seller; no value here comes from a widget unchecked.
INSERT INTO qbr_notes (seller_id, customer_id, quarter, steps, updated_by, updated_at)
VALUES ($seller, $customer, $quarter, $steps::VARCHAR[], $updated_by, now()::TIMESTAMP)
ON CONFLICT (seller_id, customer_id, quarter) DO UPDATE SET
    steps = excluded.steps,
    updated_by = excluded.updated_by,
    updated_at = excluded.updated_at
