-- Lock a username until a time (replacing an older lockout).
-- Parameters: $1 username, $2 locked_until (UTC).
insert into auth_lockouts (username, locked_until) values ($1, $2)
on conflict (username) do update set locked_until = excluded.locked_until
