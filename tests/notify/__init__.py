"""Tests of feeds.notify: WebSub notifications to the hub."""
