"""A sync is committed like an API write: a running server serves it and pings the hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.commands import Nashra
from tests.support.config import MakeConfig
from tests.support.hub import Hub, running_hub
from tests.support.live import Serve
from tests.wordpress.conftest import CATEGORIES, WORDPRESS
from tests.wordpress.replay import ReplayWordPress

SITE = "https://news.example/"


@pytest.fixture
def hub() -> Iterator[Hub]:
    with running_hub() as hub:
        yield hub


@pytest.fixture
def config_file(make_config: MakeConfig, hub: Hub) -> Path:
    return make_config(categories=CATEGORIES, wordpress=WORDPRESS, websub={"hub": hub.url})


def test_a_running_server_serves_what_a_sync_writes_and_the_hub_hears_of_it(
    nashra: Nashra, wordpress: ReplayWordPress, serve: Serve, hub: Hub
) -> None:
    with serve() as server:
        assert "wp-8" not in httpx.get(f"{server.url}/feeds/economy.atom").text
        assert nashra("sync", "wordpress", wordpress.url).code == 0
        atom = httpx.get(f"{server.url}/feeds/economy.atom").text  # no restart, no wait
        assert "tag:news.example,2026:article:wp-8" in atom
        hub.wait_for(lambda pings: {p.topic for p in pings if p.ok} >= WRITTEN, 10)


#: Every feed the synced posts are in, in one format (each format is announced).
WRITTEN = {
    f"{SITE}feeds/{feed}.atom" for feed in ("all", "breaking", "economy", "politics", "sports")
}
