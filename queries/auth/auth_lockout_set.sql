-- Lock a username until a time (replacing an older lockout).
-- Parameters: $1 username, $2 locked_until (UTC).
INSERT INTO auth_lockouts (username, locked_until) VALUES ($1, $2)
ON conflict (username) do UPDATE SET locked_until = excluded.locked_until
