-- When a username's lockout ends, if it is locked now.
-- Returns: locked_until (0 or 1 row). Parameters: $1 username, $2 now (UTC).
SELECT locked_until
FROM auth_lockouts
WHERE username = $1 AND locked_until > $2
