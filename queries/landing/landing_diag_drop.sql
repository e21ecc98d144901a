-- landing_diag_drop: removes the diagnosis scratch table (landing_diag_stage), if any.
-- No parameters.
DROP TABLE IF EXISTS TEMP.ingest_diag
