-- When a username's lockout ends, if it is locked now.
-- Returns: locked_until (0 or 1 row). Parameters: $1 username, $2 now (UTC).
select locked_until
from auth_lockouts
where username = $1 and locked_until > $2
