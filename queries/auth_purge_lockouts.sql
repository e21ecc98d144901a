-- Drop lockouts that have ended. Parameters: $1 now (UTC).
delete from auth_lockouts where locked_until <= $1
