-- run_finish: closes a billing run record with its outcome and summary.
-- Parameters: $run_id, $status ('ok' | 'failed'), $rows_priced, $rows_unassigned, $rows_unpriced, $summary (JSON text).
UPDATE billing_runs
SET finished_at = now()::TIMESTAMP, status = $status, rows_priced = $rows_priced,
    rows_unassigned = $rows_unassigned, rows_unpriced = $rows_unpriced, summary = $summary
WHERE run_id = $run_id;
