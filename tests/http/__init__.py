"""Tests of feeds.http: the feed endpoint, validators and 304s, the cache, the API, tokens."""
