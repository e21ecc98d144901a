-- scope_audit_insert: appends one entry to audit_log (queries.scope.record_audit is its only caller).
-- Returns nothing. Parameters: $username VARCHAR, $org VARCHAR, $action VARCHAR, $target VARCHAR,
--   $before VARCHAR (JSON text or NULL), $after VARCHAR (JSON text or NULL), $detail VARCHAR.
-- Scope rule: none (a write); the entry records the acting user's organisation for audit_entries.
insert into audit_log (logged_at, username, org, action, target, before, after, detail)
values (now()::TIMESTAMP, $username, $org, $action, $target,
        cast($before as JSON), cast($after as JSON), $detail)
