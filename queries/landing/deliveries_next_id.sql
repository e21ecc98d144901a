-- deliveries_next_id: a fresh x_IngestId from seq_ingest. No parameters.
SELECT nextval('seq_ingest')
