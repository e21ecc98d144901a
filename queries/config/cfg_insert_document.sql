-- Stores one version of the whole configuration document. Returns nothing.
-- Parameters: version, imported_by, document (JSON text).
INSERT INTO cfg_documents (version, imported_at, imported_by, document)
VALUES (?, now()::TIMESTAMP, ?, CAST(? AS JSON));
