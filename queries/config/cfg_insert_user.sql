-- Inserts one user of the imported configuration. Returns nothing.
-- Parameters: username, name, email, org, roles (list), customers (list or NULL),
--             cost_groups (list or NULL), password_hash (bcrypt).
INSERT INTO cfg_users (username, name, email, org, roles, customers, cost_groups, password_hash)
VALUES (?, ?, ?, ?, CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[]), ?);
