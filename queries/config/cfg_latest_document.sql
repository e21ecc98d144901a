-- Returns at most one row: the latest configuration document
-- (document JSON text, version, imported_at, imported_by). Parameters: none.
SELECT document::VARCHAR AS document, version, imported_at, imported_by
FROM cfg_documents
ORDER BY version DESC
LIMIT 1;
