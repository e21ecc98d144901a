-- Forget a username's failed sign-ins (after a success, or once they have caused a lockout).
-- Parameters: $1 username.
delete from auth_failures where username = $1
