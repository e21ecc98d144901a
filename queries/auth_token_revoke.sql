-- Refuse a session token from now on (it was signed out). The token itself is never stored.
-- Parameters: $1 token_sha256, $2 expires_at (UTC, when the token dies anyway), $3 revoked_at (UTC).
insert into auth_revoked_tokens (token_sha256, expires_at, revoked_at) values ($1, $2, $3)
on conflict (token_sha256) do nothing
