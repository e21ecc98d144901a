-- auth_user_flags_insert: the sign-in flags of one user of the configuration being imported
-- (migration 023), for users whose flags differ from the defaults. Returns nothing.
-- Parameters: $1 username VARCHAR, $2 active BOOLEAN, $3 must_change_password BOOLEAN.
-- Scope rule: none; called by data/config/storage.py inside the import's transaction.
INSERT INTO cfg_user_flags (username, active, must_change_password)
VALUES ($1, $2, $3)
