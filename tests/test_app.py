"""The application as a whole: its lifespan and health check."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from feeds.config.settings import Settings
from tests.support.builders import record
from tests.support.config import MakeConfig, token
from tests.support.faults import corrupt_store, foreign_sqlite_file
from tests.support.fetch import Fetch
from tests.support.live import Serve

TOKEN = "test-token-for-the-app"


@pytest.fixture
def config_file(make_config: MakeConfig) -> Path:
    return make_config(tokens=[token("cms", TOKEN)])


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


@pytest.mark.parametrize("fate", ["deleted", "replaced"])
def test_a_store_file_deleted_or_replaced_under_a_live_server_refuses_writes(
    fate: str, serve: Serve, settings: Settings, tmp_path: Path
) -> None:
    """/healthz and every write answer 503 saying why; nothing more is acknowledged.

    Reads keep answering from what the open connections see: the old file.
    """
    db = settings.store.path
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with serve() as server, httpx.Client(base_url=server.url) as client:
        assert client.post("/api/articles", json=record(1), headers=auth).status_code == 201
        if fate == "deleted":
            db.unlink()
        else:
            other = tmp_path / "other.db"
            foreign_sqlite_file(other)
            other.replace(db)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.text.startswith(f"store unavailable: the store file {db} was {fate}")
        for _ in range(3):
            written = client.post("/api/articles", json=record(2), headers=auth)
            assert written.status_code == 503, written.text
            assert "deleted or replaced" in written.json()["error"]
            assert (
                client.delete(f"/api/articles/{record(1)['id']}", headers=auth).status_code == 503
            )
        feed = client.get("/feeds/politics.atom")
        assert feed.status_code == 200
        assert record(1)["link"].encode() in feed.content
    log = server.log.read_text(encoding="utf-8")
    assert f"the store file {db} was {fate}" in log
    assert "Traceback" not in log
