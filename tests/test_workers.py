"""Two worker processes: a write through one is served by the other on its next request."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.builders import record
from tests.support.config import MakeConfig, token
from tests.support.live import Serve

TOKEN = "test-token-for-two-workers"


@pytest.fixture
def config_file(make_config: MakeConfig) -> Path:
    return make_config(tokens=[token("cms", TOKEN)])


def test_api_write_in_one_worker_is_served_by_every_worker(serve: Serve) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    story = record(7, breaking=True)
    with serve(workers=2) as server:
        for _ in range(12):  # warm every worker's cache with the empty feeds
            with httpx.Client(base_url=server.url) as fresh:
                for feed in ("politics", "all", "breaking"):
                    assert fresh.get(f"/feeds/{feed}.atom").status_code == 200
        with httpx.Client(base_url=server.url) as client:
            created = client.post("/api/articles", json=story, headers=auth)
            assert created.status_code == 201, created.text
        for feed in ("politics", "all", "breaking"):
            for _ in range(12):  # new connections land on either worker
                with httpx.Client(base_url=server.url) as fresh:
                    served = fresh.get(f"/feeds/{feed}.atom")
                assert story["link"].encode() in served.content, feed
        with httpx.Client(base_url=server.url) as client:
            deleted = client.delete(f"/api/articles/{story['id']}", headers=auth)
            assert deleted.status_code == 200, deleted.text
        for feed in ("politics", "all", "breaking"):
            for _ in range(12):
                with httpx.Client(base_url=server.url) as fresh:
                    served = fresh.get(f"/feeds/{feed}.rss")
                assert story["link"].encode() not in served.content, feed
