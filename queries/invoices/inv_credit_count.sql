-- inv_credit_count: how many credit notes a seller has issued so far (its credit-note sequence).
-- Returns one BIGINT. Parameters: $seller VARCHAR.
SELECT count(*) FROM credit_notes WHERE seller = $seller;
