-- Drop lockouts that have ended. Parameters: $1 now (UTC).
DELETE FROM auth_lockouts WHERE locked_until <= $1
