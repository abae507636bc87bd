"""The application as a whole: its lifespan and health check."""

from __future__ import annotations

from tests.support.fetch import Fetch


def test_healthz(fetch: Fetch) -> None:
    response = fetch("/healthz")
    assert response.text == "ok\n"
    assert "date" in response.headers
