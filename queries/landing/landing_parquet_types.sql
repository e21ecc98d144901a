-- landing_parquet_types: a FOCUS Parquet file's columns with their stored types, as DESCRIBE rows
-- (column_name, column_type, …); data.ingest.typed_columns picks from them the number and date/time
-- columns landing reads in their own type. Reads the file's schema only.
-- Parameters: $path VARCHAR.
DESCRIBE SELECT * FROM read_parquet($path::VARCHAR)
