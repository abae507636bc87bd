"""Tests of feeds.ingest: import records, cleaning, the import pipeline."""
