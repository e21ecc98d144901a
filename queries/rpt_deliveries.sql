-- rpt_deliveries: the FOCUS files ingested into the store, newest first.
-- Returns x_IngestId, file_name, file_path, sha256, focus_version, file_format, loaded_at,
--   loaded_by, row_count, dropped_columns, notes. No parameters.
-- Scope rule: installation-wide operations data: queries.scope lets only admins of the root
--   organisation call it.
with deliveries_all as (
    select * from deliveries
),

final as (
    select
        x_IngestId, file_name, file_path, sha256, focus_version, file_format, loaded_at,
        loaded_by, row_count, dropped_columns, notes
    from deliveries_all
)

select * from final order by loaded_at desc, x_IngestId desc
