"""Ingestion: declarative mappings, readers, normalisers, validation and quarantine."""
