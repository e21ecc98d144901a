-- Inserts one account mapping (sub-account, billing-account or tag rule). Returns nothing.
-- Parameters: mapping_no (position in the document), provider, sub_account_id,
--             billing_account_id, tag_key, tag_value, customer, valid_from, valid_to (exclusive).
INSERT INTO cfg_account_mappings
    (mapping_no, provider, sub_account_id, billing_account_id, tag_key, tag_value, customer,
     valid_from, valid_to)
VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS DATE), CAST(? AS DATE));
