"""WebSub, publisher side: feeds announce the hub, and every change reaches it.

The hub is a real HTTP server on loopback (:mod:`tests.support.hub`), so the
notifier's requests, failures and retries are real. Timings here are the
notifier's promises: a write is pinged within a second, a failure is retried
after 1 s, then 2 s, and nothing queued is lost while the hub is down or the
server restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from lxml import etree
from starlette.testclient import TestClient

from feeds.config.settings import Settings
from feeds.notify.outbox import MAX_RETRY, retry_delay
from store.sqlite.store import SQLiteStore
from tests.support.builders import record
from tests.support.commands import ImportRecords
from tests.support.config import MakeConfig, token
from tests.support.hub import Hub, Ping
from tests.support.live import Serve, free_port

T = TypeVar("T")
ATOM = "http://www.w3.org/2005/Atom"
TOKEN = "websub-test-token"
SITE = "https://news.example/"


@pytest.fixture
def hub() -> Iterator[Hub]:
    hub = Hub(free_port())
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def config_file(make_config: MakeConfig, hub: Hub) -> Path:
    """The test configuration, with this hub and an API token."""
    return make_config(websub={"hub": hub.url}, tokens=[token("cms", TOKEN)])


def topics(*feeds: str) -> set[str]:
    """The self URLs of ``feeds`` in both formats: what the hub must be told about."""
    return {f"{SITE}feeds/{feed}.{fmt}" for feed in feeds for fmt in ("rss", "atom")}


def accepted(pings: Iterable[Ping]) -> set[str]:
    return {ping.topic for ping in pings if ping.ok}


def first_accepted(pings: Iterable[Ping]) -> dict[str, float]:
    """When the hub first accepted each topic."""
    times: dict[str, float] = {}
    for ping in pings:
        if ping.ok:
            times.setdefault(ping.topic, ping.at)
    return times


def queued(db: Path) -> dict[str, tuple[int, str | None]]:
    """The store's outbox for the hub, read directly: feed -> (failed attempts, last error)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT feed, attempts, last_error FROM outbox WHERE sink = 'websub'"
        ).fetchall()
    return {feed: (attempts, error) for feed, attempts, error in rows}


def eventually(check: Callable[[], T | None], timeout: float) -> T:
    """``check()``'s first truthy result, polled until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.05)
    return result


def queue_directly(db: Path, feeds: list[str]) -> None:
    """Queue notifications due now through another store connection, as another process would."""

    async def run() -> None:
        store = await SQLiteStore.open(db)
        try:
            await store.queue_changes("websub", feeds, datetime.now(UTC))
        finally:
            await store.close()

    asyncio.run(run())


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feeds_announce_the_hub_and_their_self_url(client: TestClient, hub: Hub, fmt: str) -> None:
    for feed in ("politics", "breaking"):
        self_url = f"{SITE}feeds/{feed}.{fmt}"
        response = client.get(f"/feeds/{feed}.{fmt}")
        assert response.status_code == 200
        root = etree.fromstring(response.content)
        parent = root if fmt == "atom" else root.find("channel")
        links = {link.get("rel"): link.get("href") for link in parent.iter(f"{{{ATOM}}}link")}
        assert links["hub"] == hub.url
        assert links["self"] == self_url
        unchanged = client.get(
            f"/feeds/{feed}.{fmt}", headers={"If-None-Match": response.headers["etag"]}
        )
        assert unchanged.status_code == 304
        for answer in (response, unchanged):
            assert answer.links["hub"]["url"] == hub.url
            assert answer.links["self"]["url"] == self_url


def test_an_import_pings_each_affected_topic_once_within_a_second(
    client: TestClient, hub: Hub, import_records: ImportRecords
) -> None:
    before = time.time()
    assert import_records([record(1, "ar"), record(7, "en")]).code == 0  # 7 is breaking
    expected = topics("politics", "english", "all", "breaking")
    hub.wait_for(lambda pings: accepted(pings) >= expected, timeout=3)
    time.sleep(0.5)  # room for any ping that should not come
    pings = hub.pings()
    assert sorted(ping.topic for ping in pings) == sorted(expected)  # each once, no other feed
    for ping in pings:
        assert ping.ok
        assert ping.form == {"hub.mode": ["publish"], "hub.url": [ping.topic]}
        assert ping.headers["content-type"] == "application/x-www-form-urlencoded"
    assert max(first_accepted(pings).values()) - before < 1.0


def test_a_failed_notification_is_retried_after_a_second(
    client: TestClient, hub: Hub, import_records: ImportRecords, settings: Settings
) -> None:
    hub.fail_next(2)
    assert import_records([record(2, "ar")]).code == 0
    expected = topics("politics", "all")
    pings = hub.wait_for(lambda pings: accepted(pings) >= expected, timeout=5)
    assert [ping.status for ping in pings[:2]] == [503, 503]
    assert accepted(pings) == expected
    for failure in pings[:2]:
        retry = next(p for p in pings[2:] if p.topic == failure.topic and p.ok)
        assert 0.85 < retry.at - failure.at < 1.5  # 1 s ±10 %, to the hub and back
    assert eventually(lambda: not queued(settings.store.path), timeout=2)


def test_the_backoff_doubles_while_the_hub_keeps_failing(
    client: TestClient, hub: Hub, settings: Settings
) -> None:
    hub.fail_next(4)  # both topics of the feed, twice
    queue_directly(settings.store.path, ["economy"])
    pings = hub.wait_for(lambda pings: accepted(pings) == topics("economy"), timeout=6)
    rounds: list[list[Ping]] = []
    for ping in pings:  # a round sends both topics at once
        if rounds and ping.at - rounds[-1][0].at < 0.3:
            rounds[-1].append(ping)
        else:
            rounds.append([ping])
    assert [[p.status for p in r] for r in rounds] == [[503, 503], [503, 503], [204, 204]]
    assert 0.85 < rounds[1][0].at - rounds[0][0].at < 1.4
    assert 1.75 < rounds[2][0].at - rounds[1][0].at < 2.5


def test_retry_delays_double_with_jitter_up_to_five_minutes() -> None:
    for attempts in range(9):
        delays = [retry_delay(attempts) for _ in range(50)]
        assert all(0.9 * 2**attempts <= d <= min(MAX_RETRY, 1.1 * 2**attempts) for d in delays)
        assert len(set(delays)) > 1
    assert retry_delay(9) == retry_delay(10_000) == MAX_RETRY == 300


def test_nothing_is_lost_while_the_hub_is_down(
    client: TestClient, hub: Hub, import_records: ImportRecords, settings: Settings
) -> None:
    hub.stop()  # the port now refuses connections
    down_at = time.time()
    assert import_records([record(3, "ar"), record(4, "fa")]).code == 0
    feeds = {"politics", "farsi", "all"}
    rows = eventually(
        lambda: (q := queued(settings.store.path)) and all(a >= 1 for a, _ in q.values()) and q,
        timeout=3,
    )
    assert set(rows) == feeds  # tried, failed, still queued
    assert all("Connect" in (error or "") for _, error in rows.values())
    assert client.get("/feeds/politics.rss").status_code == 200  # serving goes on meanwhile
    time.sleep(max(0.0, down_at + 2 - time.time()))
    assert set(queued(settings.store.path)) == feeds
    hub.start()
    up_at = time.time()
    pings = hub.wait_for(lambda pings: accepted(pings) >= topics(*feeds), timeout=6)
    assert accepted(pings) == topics(*feeds)
    assert max(first_accepted(pings).values()) - up_at < 2.5  # the next retry, 2 s after the last
    assert eventually(lambda: not queued(settings.store.path), timeout=2)


def test_a_breaking_article_posted_through_the_api_is_pinged(client: TestClient, hub: Hub) -> None:
    story = record(14, "ar", breaking=True)
    before = time.time()
    response = client.post(
        "/api/articles", json=story, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 201, response.text
    assert story["link"].encode() in client.get("/feeds/breaking.atom").content
    expected = topics("politics", "all", "breaking")
    pings = hub.wait_for(lambda pings: accepted(pings) >= expected, timeout=3)
    assert accepted(pings) == expected
    assert max(first_accepted(pings).values()) - before < 1.0


def test_an_embargoed_article_is_pinged_when_its_time_comes(
    client: TestClient, hub: Hub, import_records: ImportRecords
) -> None:
    moment = math.floor(time.time()) + 2  # whole seconds, as records carry: 1 to 2 s ahead
    stamp = datetime.fromtimestamp(moment, UTC).isoformat()
    story = record(5, "ar", published=stamp, updated=stamp)
    assert import_records([story]).code == 0
    expected = topics("politics", "all")
    assert story["link"].encode() not in client.get("/feeds/politics.atom").content
    pings = hub.wait_for(
        lambda pings: accepted(p for p in pings if p.at >= moment) >= expected,
        timeout=moment + 3 - time.time(),
    )
    early = [p.topic for p in pings if p.at < moment]
    late = [p for p in pings if p.at >= moment]
    assert sorted(early) == sorted(expected)  # the write itself, once per topic
    assert accepted(late) == expected
    assert max(first_accepted(late).values()) - moment < 1.0
    assert story["link"].encode() in client.get("/feeds/politics.atom").content


def test_queued_notifications_survive_a_restart(
    serve: Serve, hub: Hub, import_records: ImportRecords, settings: Settings
) -> None:
    hub.stop()
    with serve():
        assert import_records([record(6, "ar")]).code == 0
        eventually(
            lambda: (q := queued(settings.store.path)) and all(a >= 1 for a, _ in q.values()),
            timeout=5,
        )
    assert set(queued(settings.store.path)) == {"politics", "all"}
    hub.start()
    with serve(workers=2):
        expected = topics("politics", "all")
        hub.wait_for(lambda pings: accepted(pings) >= expected, timeout=8)
        assert eventually(lambda: not queued(settings.store.path), timeout=2)
        time.sleep(0.3)  # room for a second worker's duplicate, which must not come
    pings = hub.pings()
    assert sorted(ping.topic for ping in pings) == sorted(expected)  # once: one worker sent
