"""Tests of feeds.formats: what the RSS and Atom renderers write."""
