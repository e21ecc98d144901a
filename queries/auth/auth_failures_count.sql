-- Failed sign-ins of a username inside the lockout window.
-- Returns: failures. Parameters: $1 username, $2 window start (UTC).
SELECT count(*) AS failures
FROM auth_failures
WHERE username = $1 AND failed_at > $2
