-- Record one failed sign-in. Parameters: $1 username, $2 failed_at (UTC).
INSERT INTO auth_failures (username, failed_at) VALUES ($1, $2)
