-- scope_audit_insert: appends one entry to audit_log (queries.scope.record_audit is its only caller).
-- Returns nothing. Parameters: $username VARCHAR, $org VARCHAR, $action VARCHAR, $target VARCHAR,
--   $before VARCHAR (JSON text or NULL), $after VARCHAR (JSON text or NULL), $detail VARCHAR.
-- Scope rule: none (a write); the entry records the acting user's organisation for audit_entries.
INSERT INTO audit_log (logged_at, username, org, action, target, before, after, detail)
VALUES (now()::TIMESTAMP, $username, $org, $action, $target,
        CAST($before AS JSON), CAST($after AS JSON), $detail)
