-- landing_file_columns: the columns of the file behind table macro ingest_file (landing_macro_csv,
-- landing_macro_parquet or landing_macro_parquet_typed), as DESCRIBE rows (column_name first).
-- Reads the header / schema only.
-- Parameters: $path VARCHAR, $compression VARCHAR (none | gzip; CSV only), $typed VARCHAR[] (the
-- Parquet columns read in their own type: data.ingest.typed_columns).
DESCRIBE SELECT * FROM ingest_file($path, $compression, $typed::VARCHAR[])
