-- Records a configuration change in the audit log. Returns nothing.
-- Parameters: username (who imported), org (their organisation or NULL), target
--             ('config vN'), before (previous document JSON or NULL), after (new document
--             JSON), detail (summary text).
INSERT INTO audit_log (logged_at, username, org, action, target, before, after, detail)
VALUES (now()::TIMESTAMP, ?, ?, 'config_change', ?, CAST(? AS JSON), CAST(? AS JSON), ?);
