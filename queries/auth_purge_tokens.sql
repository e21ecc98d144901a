-- Drop revoked tokens that have expired anyway. Parameters: $1 now (UTC).
delete from auth_revoked_tokens where expires_at <= $1
