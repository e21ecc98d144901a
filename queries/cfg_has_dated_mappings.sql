-- cfg_has_dated_mappings: whether any account mapping has from/to dates. Returns one BOOLEAN. No parameters.
SELECT count(*) > 0 FROM cfg_account_mappings WHERE valid_from IS NOT NULL OR valid_to IS NOT NULL;
