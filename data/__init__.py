"""The store, schema migrations, ingest and the demo data builder."""
