-- Drop failed sign-ins older than the lockout window. Parameters: $1 window start (UTC).
delete from auth_failures where failed_at <= $1
