-- rpt_ops_rejected_uploads: FOCUS files uploaded in the console that ingest refused, newest
-- first, from the audit log (action 'ingest_refused'; nothing of them was stored).
-- Returns logged_at TIMESTAMP, username, target (the file's name), detail (ingest's sentence).
-- Parameters: $limit BIGINT.
-- Scope rule: installation-wide operations data (recorded under the root): data.console.operations
--   lets only admins of the root organisation call it.
WITH refused AS (
    SELECT logged_at, username, target, detail
    FROM audit_log
    WHERE action = 'ingest_refused'
),

final AS (
    SELECT * FROM refused
)

SELECT * FROM final ORDER BY logged_at DESC LIMIT $limit
