-- Returns one row: the version number the next imported configuration document gets.
-- Parameters: none.
SELECT coalesce(max(version), 0) + 1 AS version
FROM cfg_documents;
