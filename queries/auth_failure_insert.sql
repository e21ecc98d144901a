-- Record one failed sign-in. Parameters: $1 username, $2 failed_at (UTC).
insert into auth_failures (username, failed_at) values ($1, $2)
