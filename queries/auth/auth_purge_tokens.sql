-- Drop revoked tokens that have expired anyway. Parameters: $1 now (UTC).
DELETE FROM auth_revoked_tokens WHERE expires_at <= $1
