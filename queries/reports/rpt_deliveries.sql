-- rpt_deliveries: the FOCUS files ingested into the store, newest first.
-- Returns x_IngestId, file_name, file_path, sha256, focus_version, file_format, loaded_at,
--   loaded_by, row_count, dropped_columns, notes. No parameters.
-- Scope rule: installation-wide operations data: queries.scope lets only admins of the root
--   organisation call it.
WITH deliveries_all AS (
    SELECT * FROM deliveries
),

final AS (
    SELECT
        x_IngestId, file_name, file_path, sha256, focus_version, file_format, loaded_at,
        loaded_by, row_count, dropped_columns, notes
    FROM deliveries_all
)

SELECT * FROM final ORDER BY loaded_at DESC, x_IngestId DESC
