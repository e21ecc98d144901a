-- cfg_dated_mappings: what account mappings with from/to dates apply to, so pricing groups are
-- cut by charge day only where a date can change the customer (data.groups.Grouping).
-- Returns (kind, provider, id) sorted: kind 'sub' (id = SubAccountId), 'ba' (id =
-- BillingAccountId, a mapping without a sub-account) or 'tag' (id = the tag key; any dated tag
-- rule cuts every row by day). No parameters.
SELECT DISTINCT
    CASE WHEN tag_key IS NOT NULL THEN 'tag'
         WHEN sub_account_id IS NOT NULL THEN 'sub'
         ELSE 'ba' END AS kind,
    coalesce(provider, '') AS provider,
    coalesce(tag_key, sub_account_id, billing_account_id) AS id
FROM cfg_account_mappings
WHERE valid_from IS NOT NULL OR valid_to IS NOT NULL
ORDER BY ALL;
