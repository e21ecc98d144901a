-- Forget a username's failed sign-ins (after a success, or once they have caused a lockout).
-- Parameters: $1 username.
DELETE FROM auth_failures WHERE username = $1
