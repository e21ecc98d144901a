-- deliveries_insert: records one loaded file in deliveries; loaded_at is the transaction's start
-- time in UTC. Returns nothing. Parameters: $ingest_id BIGINT, $file_name VARCHAR,
-- $file_path VARCHAR, $sha256 VARCHAR, $focus_version VARCHAR, $file_format VARCHAR,
-- $loaded_by VARCHAR, $row_count BIGINT, $dropped_columns VARCHAR[], $notes VARCHAR (or NULL).
INSERT INTO deliveries (
    x_IngestId, file_name, file_path, sha256, focus_version, file_format,
    loaded_at, loaded_by, row_count, dropped_columns, notes
)
VALUES (
    $ingest_id, $file_name, $file_path, $sha256, $focus_version, $file_format,
    timezone('UTC', now()), $loaded_by, $row_count, $dropped_columns::VARCHAR[], $notes
)
