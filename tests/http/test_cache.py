"""The feed cache: each state rendered once per format, compressed once, shared by all waiters."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

import feeds.http.cache
import feeds.http.feed_endpoint
from feeds.app import create_app
from feeds.config.settings import Settings
from feeds.formats.base import FeedDocument, FeedFormat
from feeds.formats.registry import BY_EXTENSION
from feeds.http.cache import FeedCache
from feeds.model.spec import feed_specs
from store.sqlite.store import SQLiteStore
from tests.support.builders import article, record
from tests.support.commands import ImportRecords


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The extension of each format the feed endpoint renders, in order.

    Ask for it before the app is made (before ``client``): apps made after it
    serve formats whose render is counted. The warm-up at start renders
    through the registry, and is not counted.
    """
    renders: list[str] = []

    def counting(fmt: FeedFormat) -> FeedFormat:
        def render(doc: FeedDocument) -> bytes:
            renders.append(fmt.extension)
            return fmt.render(doc)

        return dataclasses.replace(fmt, render=render)

    formats = tuple(counting(fmt) for fmt in feeds.http.feed_endpoint.FORMATS)
    monkeypatch.setattr(feeds.http.feed_endpoint, "FORMATS", formats)
    return renders


def test_repeats_and_304s_render_and_compress_nothing(
    renders: list[str],
    client: TestClient,
    import_records: ImportRecords,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert import_records([record(i, "ur") for i in range(3)]).code == 0
    calls: list[str] = []
    real_gzip = feeds.http.cache.gzip.compress

    def compress(*args: Any, **kwargs: Any) -> bytes:
        calls.append("gzip")
        return real_gzip(*args, **kwargs)

    monkeypatch.setattr(feeds.http.cache.gzip, "compress", compress)
    first = client.get("/feeds/urdu.rss", headers={"Accept-Encoding": "gzip"})
    assert (renders, calls) == (["rss"], ["gzip"])
    for _ in range(3):
        assert client.get("/feeds/urdu.rss", headers={"Accept-Encoding": "gzip"}).status_code == 200
        again = client.get(
            "/feeds/urdu.rss",
            headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]},
        )
        assert again.status_code == 304
    assert (renders, calls) == (["rss"], ["gzip"])


def test_concurrent_requests_for_a_cold_feed_share_one_render(
    renders: list[str],
    settings: Settings,
    import_records: ImportRecords,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Single flight: requests arriving while a feed renders wait for that render."""
    assert import_records([record(i) for i in range(5)]).code == 0
    queries: list[str] = []
    app = create_app(settings)

    async def scenario() -> list[int]:
        async with app.web.router.lifespan_context(app.web):
            real_query = app.state.store.feed_articles

            async def slow_query(*args: Any) -> Any:
                queries.append(args[0])
                await asyncio.sleep(0.05)  # a slow store: the other requests arrive meanwhile
                return await real_query(*args)

            monkeypatch.setattr(app.state.store, "feed_articles", slow_query)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://x") as client:
                answers = await asyncio.gather(
                    *(client.get("/feeds/politics.atom") for _ in range(10))
                )
            return [a.status_code for a in answers]

    assert asyncio.run(scenario()) == [200] * 10
    assert renders == ["atom"]
    assert queries == ["politics"]


def test_both_formats_of_a_feed_state_share_one_query(
    settings: Settings, import_records: ImportRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert import_records([record(i) for i in range(3)]).code == 0
    queries: list[str] = []
    app = create_app(settings)
    with TestClient(app) as client:
        real_query = app.state.store.feed_articles

        async def counted(*args: Any) -> Any:
            queries.append(args[0])
            return await real_query(*args)

        monkeypatch.setattr(app.state.store, "feed_articles", counted)
        assert client.get("/feeds/politics.rss").status_code == 200
        assert client.get("/feeds/politics.atom").status_code == 200
        assert queries == ["politics"]
        assert import_records([record(3)]).code == 0  # a new state: a new query
        assert record(3)["link"] in client.get("/feeds/politics.atom").text
        assert queries == ["politics", "politics"]


def test_an_older_render_finishing_last_does_not_replace_the_newer(settings: Settings) -> None:
    """A render of a state that a write has since replaced may finish after the newer one's.

    Its waiter gets what it asked for; the cache keeps serving the newer.
    """
    spec, atom = feed_specs(settings)["politics"], BY_EXTENSION["atom"]

    async def scenario() -> None:
        store = await SQLiteStore.open(settings.store.path)
        try:
            cache = FeedCache(store, settings, time.time)
            await store.put_articles([article(1)])
            older = await cache.state("politics")
            await store.put_articles([article(2)])
            newer = await cache.state("politics")
            assert newer.version > older.version
            current = await cache.rendered(spec, atom, newer)
            assert cache.peek(spec, atom, newer) is current
            late = await cache.rendered(spec, atom, older)  # the older render ends last
            assert late.state == older
            assert cache.peek(spec, atom, newer) is current
            assert cache.peek(spec, atom, older) is None
        finally:
            await store.close()

    asyncio.run(scenario())
