-- deliveries_by_sha256: the delivery that loaded a file with this content, if any:
-- x_IngestId, row_count, focus_version. Parameters: $sha256 VARCHAR (hex digest of the file bytes).
SELECT x_IngestId, row_count, focus_version
FROM deliveries
WHERE sha256 = $sha256
