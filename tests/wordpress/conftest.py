"""Fixtures of the WordPress tests: the replayed site, a config that maps its categories,
and a sync run in-process against a real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from feeds.config.settings import Settings
from feeds.ingest.sources.wordpress import WordPressClient
from feeds.ingest.wordpress_sync import SyncSummary, WordPressSync
from store.clock import Clock, system_clock
from store.sqlite.store import SQLiteStore
from store.types import Article
from tests.support.config import MakeConfig
from tests.wordpress.replay import ReplayWordPress, replay_wordpress

#: The fixture site's categories: politics and sports by their Arabic slugs (sports as
#: WordPress writes it, percent-encoded), economy by its own slug; عاجل and the tag
#: "breaking" mark breaking news.
CATEGORIES = [
    {"slug": "politics", "title": "سياسة", "wordpress": ["سياسة"]},
    {"slug": "economy", "title": "اقتصاد"},
    {"slug": "sports", "title": "رياضة", "wordpress": ["%d8%b1%d9%8a%d8%a7%d8%b6%d8%a9"]},
    {"slug": "english", "title": "English edition", "language": "en"},
]
WORDPRESS = {"breaking": ["عاجل", "breaking"], "removal_check": 0, "retries": 1, "timeout": 1}


@pytest.fixture
def wordpress() -> Iterator[ReplayWordPress]:
    with replay_wordpress() as site:
        yield site


@pytest.fixture
def config_file(make_config: MakeConfig) -> Path:
    """The WordPress tests' config (overrides the suite's): the store in tmp_path."""
    return make_config(categories=CATEGORIES, wordpress=WORDPRESS)


@dataclass
class Synced:
    summary: SyncSummary
    messages: list[str]


def run_sync(
    settings: Settings, url: str, *, full: bool = False, clock: Clock = system_clock, **client: Any
) -> Synced:
    """One sync round, in-process, against the store of ``settings``; raises what it raises."""
    messages: list[str] = []

    async def go() -> SyncSummary:
        store = await SQLiteStore.open(settings.store.path, clock=clock)
        wp = WordPressClient(url, settings.wordpress, backoff=0.01, **client)
        try:
            sync = WordPressSync(wp, store, settings, messages.append, clock=clock)
            return await sync.run(full=full)
        finally:
            await wp.close()
            await store.close()

    return Synced(asyncio.run(go()), messages)


def articles(settings: Settings) -> dict[str, Article]:
    """Every stored article, by id."""

    async def go() -> dict[str, Article]:
        store = await SQLiteStore.open(settings.store.path)
        try:
            ids = await store.article_ids("")
            found = {i: await store.get_article(i) for i in ids}
            return {i: a for i, a in found.items() if a is not None}
        finally:
            await store.close()

    return asyncio.run(go())


@pytest.fixture
def sync(settings: Settings, wordpress: ReplayWordPress) -> Any:
    def run(full: bool = False, clock: Clock = system_clock, **client: Any) -> Synced:
        return run_sync(settings, wordpress.url, full=full, clock=clock, **client)

    return run
