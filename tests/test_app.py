"""The application as a whole: its lifespan and health check."""

from __future__ import annotations

from starlette.testclient import TestClient

from feeds.config.settings import Settings
from tests.support.faults import corrupt_store
from tests.support.fetch import Fetch


def test_healthz(fetch: Fetch) -> None:
    response = fetch("/healthz")
    assert response.text == "ok\n"
    assert "date" in response.headers


def test_healthz_is_503_with_the_reason_when_the_store_fails(
    client: TestClient, settings: Settings
) -> None:
    assert client.get("/healthz").status_code == 200
    corrupt_store(settings.store.path)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("store unavailable: ")
    assert "not a database" in response.text
    assert "date" in response.headers
