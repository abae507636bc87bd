"""Tests of feeds.model: feed specs, entries, language tags."""
