"""Tests of feeds.config: settings loaded from TOML and the environment."""
