-- Failed sign-ins of a username inside the lockout window.
-- Returns: failures. Parameters: $1 username, $2 window start (UTC).
select count(*) as failures
from auth_failures
where username = $1 and failed_at > $2
