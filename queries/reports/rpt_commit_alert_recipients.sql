-- rpt_commit_alert_recipients: who receives an organisation's commitment and credit alerts: the
-- e-mail addresses of its administrators (cfg_users), in username order.
-- Returns email. Parameters: $org VARCHAR.
-- Scope rule: the write side (data/commitments.py) asks for the root's own administrators only.
SELECT email
FROM cfg_users
WHERE org = $org AND list_contains(roles, 'admin') AND email IS NOT NULL AND email <> ''
ORDER BY username
