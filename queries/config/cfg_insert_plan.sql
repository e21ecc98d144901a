-- Inserts one price plan. Returns nothing.
-- Parameters: id, owner, credits, commitments, commitment_share_pct (decimal text or NULL),
--             definition (the plan as in the document, JSON text).
INSERT INTO cfg_plans (id, owner, credits, commitments, commitment_share_pct, definition)
VALUES (?, ?, ?, ?, CAST(? AS DECIMAL(9,4)), CAST(? AS JSON));
