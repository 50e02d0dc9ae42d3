"""Qt-free domain layer: the case file, its schema, ingest, queries, features and detection."""
