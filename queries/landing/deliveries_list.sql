-- deliveries_list: every delivery, newest first: id, file, path, loaded_at (UTC), loaded_by,
-- version, format, rows, sha256, dropped_columns, notes, status ('active' | 'partly replaced' |
-- 'replaced'), active_rows (rows still in landing_focus), replaced_by (ids of later deliveries that
-- replaced some of its slices). Per-currency totals: deliveries_totals. No parameters.
SELECT
    d.x_IngestId AS id,
    d.file_name AS file,
    d.file_path AS path,
    d.loaded_at,
    d.loaded_by,
    d.focus_version AS version,
    d.file_format AS format,
    d.row_count AS rows,
    d.sha256,
    d.dropped_columns,
    d.notes,
    CASE
        WHEN count(s.x_IngestId) FILTER (WHERE s.status = 'replaced') = 0 THEN 'active'
        WHEN count(s.x_IngestId) FILTER (WHERE s.status = 'active') = 0 THEN 'replaced'
        ELSE 'partly replaced'
    END AS status,
    COALESCE(sum(s.row_count) FILTER (WHERE s.status = 'active'), 0)::BIGINT AS active_rows,
    COALESCE(
        list(DISTINCT s.replaced_by ORDER BY s.replaced_by) FILTER (WHERE s.replaced_by IS NOT NULL),
        []::BIGINT[]
    ) AS replaced_by
FROM deliveries d
LEFT JOIN delivery_slices s ON s.x_IngestId = d.x_IngestId
GROUP BY d.x_IngestId, d.file_name, d.file_path, d.loaded_at, d.loaded_by, d.focus_version,
         d.file_format, d.row_count, d.sha256, d.dropped_columns, d.notes
ORDER BY d.x_IngestId DESC
