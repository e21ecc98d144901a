-- Inserts one organisation of the imported configuration. Returns nothing.
-- Parameters: id, name, kind, parent (NULL for the root), currency, plan (NULL for the root),
--             tax_rate_pct (decimal text), depth (root = 0).
INSERT INTO cfg_organizations (id, name, kind, parent, currency, plan, tax_rate_pct, depth)
VALUES (?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(9,4)), ?);
