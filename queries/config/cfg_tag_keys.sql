-- cfg_tag_keys: the tag keys used by tag rules, sorted. Returns (tag_key). No parameters.
SELECT DISTINCT tag_key FROM cfg_account_mappings WHERE tag_key IS NOT NULL ORDER BY tag_key;
