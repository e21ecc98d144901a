-- landing_file_columns: the columns of the file behind table macro ingest_file (landing_macro_csv
-- or landing_macro_parquet), as DESCRIBE rows (column_name first). Reads the header / schema only.
-- Parameters: $path VARCHAR, $compression VARCHAR (none | gzip; CSV only).
DESCRIBE SELECT * FROM ingest_file($path, $compression)
