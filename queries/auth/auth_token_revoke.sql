-- Refuse a session token from now on (it was signed out). The token itself is never stored,
-- only its id (sha256 of its decoded signature bytes, data.auth.token_digest).
-- Parameters: $1 token id, $2 expires_at (UTC, when the token dies anyway), $3 revoked_at (UTC).
INSERT INTO auth_revoked_tokens (token_sha256, expires_at, revoked_at) VALUES ($1, $2, $3)
ON conflict (token_sha256) do nothing
