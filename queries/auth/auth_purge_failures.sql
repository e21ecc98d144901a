-- Drop failed sign-ins older than the lockout window. Parameters: $1 window start (UTC).
DELETE FROM auth_failures WHERE failed_at <= $1
