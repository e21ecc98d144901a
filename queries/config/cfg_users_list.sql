-- cfg_users_list: the configured users for the sign-in list `make run` prints.
-- Returns (username, name, org, roles). No parameters. Never returns password hashes.
SELECT username, name, org, array_to_string(roles, ', ') AS roles
FROM cfg_users
ORDER BY org, username;
