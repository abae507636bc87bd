"""WebSub, publisher side: feeds announce the hub, and every change reaches it.

The hub is a real HTTP server on loopback (:mod:`tests.support.hub`), so the
outbox worker's requests, failures and retries are real. Timings here are
its promises: a write is pinged within a second, a failure is retried after
1 s, then 2 s, and nothing queued is lost while the hub is down or the
server restarts. Retries and embargoes are timed by the app's clock, which
the tests move (the hub stamps pings with it too) instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import pytest
from lxml import etree
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.config.settings import Settings
from feeds.formats.registry import FORMATS
from feeds.notify.outbox import MAX_RETRY, retry_delay
from store.sqlite.store import SQLiteStore
from tests.support.builders import article, record
from tests.support.clock import Clock
from tests.support.commands import ImportRecords
from tests.support.config import MakeConfig, token
from tests.support.hub import Hub, Ping, running_hub
from tests.support.live import Serve

T = TypeVar("T")
ATOM = "http://www.w3.org/2005/Atom"
TOKEN = "websub-test-token"
SITE = "https://news.example/"
PER_FEED = len(FORMATS)  # topics per feed: its URL in each format


@pytest.fixture
def hub(clock: Clock) -> Iterator[Hub]:
    with running_hub(clock) as hub:
        yield hub


@pytest.fixture
def config_file(make_config: MakeConfig, hub: Hub) -> Path:
    """The test configuration, with this hub and an API token."""
    return make_config(websub={"hub": hub.url}, tokens=[token("cms", TOKEN)])


def topics(*feeds: str) -> set[str]:
    """The self URLs of ``feeds`` in every format: what the hub must be told about."""
    return {f"{SITE}feeds/{feed}.{fmt.extension}" for feed in feeds for fmt in FORMATS}


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


def publish(client: TestClient, *records: dict[str, object]) -> None:
    """Write ``records`` through the API: stamped by the app's clock, which the test holds."""
    response = client.post(
        "/api/articles", json=list(records), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.text


def due_in(db: Path, clock: Clock) -> dict[str, float]:
    """Seconds from the clock's now until each queued hub change is due."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT feed, due_us FROM outbox WHERE sink = 'websub'").fetchall()
    return {feed: due_us / 1_000_000 - clock.now for feed, due_us in rows}


def eventually(check: Callable[[], T | None], timeout: float) -> T:
    """``check()``'s first truthy result, polled until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.05)
    return result


def queue_directly(db: Path, feeds: list[str], due: float) -> None:
    """Queue notifications due at ``due`` through another connection, as another process would."""

    async def run() -> None:
        store = await SQLiteStore.open(db)
        try:
            await store.queue_changes("websub", feeds, datetime.fromtimestamp(due, UTC))
        finally:
            await store.close()

    asyncio.run(run())


def announced(fmt: str, document: bytes) -> dict[str, str]:
    """The hub and self URLs a feed document states."""
    if fmt == "json":  # JSON Feed 1.1: hubs, and feed_url is the WebSub topic
        feed = json.loads(document)
        assert feed["hubs"] == [{"type": "WebSub", "url": feed["hubs"][0]["url"]}]
        return {"hub": feed["hubs"][0]["url"], "self": feed["feed_url"]}
    root = etree.fromstring(document)
    parent = root if fmt == "atom" else root.find("channel")
    return {link.get("rel"): link.get("href") for link in parent.iter(f"{{{ATOM}}}link")}


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_feeds_announce_the_hub_and_their_self_url(client: TestClient, hub: Hub, fmt: str) -> None:
    for feed in ("politics", "breaking"):
        self_url = f"{SITE}feeds/{feed}.{fmt}"
        response = client.get(f"/feeds/{feed}.{fmt}")
        assert response.status_code == 200
        links = announced(fmt, response.content)
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
    assert f"{SITE}feeds/politics.json" in expected
    hub.wait_for(lambda pings: accepted(pings) >= expected, timeout=10)
    time.sleep(0.5)  # room for any ping that should not come
    pings = hub.pings()
    assert sorted(ping.topic for ping in pings) == sorted(expected)  # each once, no other feed
    for ping in pings:
        assert ping.ok
        assert ping.form == {"hub.mode": ["publish"], "hub.url": [ping.topic]}
        assert ping.headers["content-type"] == "application/x-www-form-urlencoded"
    assert max(first_accepted(pings).values()) - before < 1.0


def test_a_failed_notification_is_retried_after_a_second(
    client: TestClient, hub: Hub, import_records: ImportRecords, settings: Settings, clock: Clock
) -> None:
    clock.stop()
    hub.fail_next(2)
    publish(client, record(2, "ar"))
    expected = topics("politics", "all")
    db = settings.store.path
    first = hub.wait_for(lambda pings: len(pings) == len(expected), timeout=10)
    assert sorted(ping.status for ping in first) == [204] * (len(expected) - 2) + [503, 503]
    failed = {feed for feed in ("politics", "all") if not accepted(first) >= topics(feed)}
    # the delivered feed leaves the outbox; each failed one is due again, its attempt counted
    eventually(lambda: {f: a for f, (a, _) in queued(db).items()} == dict.fromkeys(failed, 1), 10)
    delays = due_in(db, clock)
    assert all(0.9 <= delay <= 1.1 for delay in delays.values()), delays  # 1 s ±10 %
    retried_at = clock.advance(max(delays.values()))
    # until every topic of each failed feed is retried: one accepted earlier may come last
    pings = hub.wait_for(
        lambda pings: accepted(pings[len(expected) :]) >= topics(*failed), timeout=10
    )
    retries = pings[len(expected) :]
    assert {ping.topic for ping in retries} == topics(*failed)  # every topic of a failed feed
    assert all(ping.ok and ping.at == retried_at for ping in retries)
    assert eventually(lambda: not queued(db), timeout=2)


def test_the_backoff_doubles_while_the_hub_keeps_failing(
    client: TestClient, hub: Hub, settings: Settings, clock: Clock
) -> None:
    clock.stop()
    db = settings.store.path
    hub.fail_next(2 * PER_FEED)  # every topic of the feed, twice
    queue_directly(db, ["economy"], due=clock.now)
    for attempts, (low, high) in ((1, (0.9, 1.1)), (2, (1.8, 2.2))):
        eventually(lambda a=attempts: queued(db).get("economy", (0, None))[0] == a, timeout=10)
        (delay,) = due_in(db, clock).values()
        assert low <= delay <= high, attempts
        assert len(hub.pings()) == PER_FEED * attempts  # nothing before the delay is over
        clock.advance(delay)
    pings = hub.wait_for(lambda pings: accepted(pings) == topics("economy"), timeout=10)
    assert [p.status for p in pings] == [503] * 2 * PER_FEED + [204] * PER_FEED
    assert eventually(lambda: not queued(db), timeout=2)


def test_retry_delays_double_with_jitter_up_to_five_minutes() -> None:
    for attempts in range(9):
        delays = [retry_delay(attempts) for _ in range(50)]
        assert all(0.9 * 2**attempts <= d <= min(MAX_RETRY, 1.1 * 2**attempts) for d in delays)
        assert len(set(delays)) > 1
    assert retry_delay(9) == retry_delay(10_000) == MAX_RETRY == 300


def test_nothing_is_lost_while_the_hub_is_down(
    client: TestClient, hub: Hub, import_records: ImportRecords, settings: Settings, clock: Clock
) -> None:
    clock.stop()
    hub.stop()  # the port now refuses connections
    db = settings.store.path
    publish(client, record(3, "ar"), record(4, "fa"))
    feeds = {"politics", "farsi", "all"}

    def tried(times: int) -> dict[str, tuple[int, str | None]] | None:
        rows = queued(db)
        return rows if rows and all(a >= times for a, _ in rows.values()) else None

    rows = eventually(lambda: tried(1), timeout=10)
    assert set(rows) == feeds  # tried, failed, still queued
    assert all("Connect" in (error or "") for _, error in rows.values())
    assert client.get("/feeds/politics.rss").status_code == 200  # serving goes on meanwhile
    clock.advance(max(due_in(db, clock).values()))
    assert set(eventually(lambda: tried(2), timeout=10)) == feeds  # down still: kept
    hub.start()
    up_at = clock.advance(max(due_in(db, clock).values()))  # the next retry, 2 s after
    pings = hub.wait_for(lambda pings: accepted(pings) >= topics(*feeds), timeout=10)
    assert accepted(pings) == topics(*feeds)
    assert all(ping.at == up_at for ping in pings)
    assert eventually(lambda: not queued(db), timeout=2)


def test_a_breaking_article_posted_through_the_api_is_pinged(client: TestClient, hub: Hub) -> None:
    story = record(14, "ar", breaking=True)
    before = time.time()
    response = client.post(
        "/api/articles", json=story, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 201, response.text
    assert story["link"].encode() in client.get("/feeds/breaking.atom").content
    expected = topics("politics", "all", "breaking")
    pings = hub.wait_for(lambda pings: accepted(pings) >= expected, timeout=10)
    assert accepted(pings) == expected
    assert max(first_accepted(pings).values()) - before < 1.0


def test_an_embargoed_article_is_pinged_when_its_time_comes(
    client: TestClient, hub: Hub, import_records: ImportRecords, clock: Clock
) -> None:
    written_at = clock.stop()
    moment = math.floor(written_at) + 2  # whole seconds, as records carry: 1 to 2 s ahead
    stamp = datetime.fromtimestamp(moment, UTC).isoformat()
    story = record(5, "ar", published=stamp, updated=stamp)
    publish(client, story)
    expected = topics("politics", "all")
    early = hub.wait_for(lambda pings: accepted(pings) >= expected, timeout=10)
    assert sorted(p.topic for p in early) == sorted(expected)  # the write itself, once each
    assert story["link"].encode() not in client.get("/feeds/politics.atom").content
    clock.advance(moment - written_at - 0.01)
    time.sleep(0.3)  # more than the worker's poll: room for a ping that must not come yet
    assert len(hub.pings()) == len(early)
    clock.advance(0.01)
    pings = hub.wait_for(lambda pings: len(pings) >= 2 * len(early), timeout=10)
    late = pings[len(early) :]
    assert accepted(late) == expected
    assert all(ping.at == moment for ping in late)
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


def test_an_import_before_any_server_ran_is_announced_when_one_starts(
    settings: Settings, hub: Hub, import_records: ImportRecords
) -> None:
    """A new site imports, then serves: the import's changes still reach the hub."""
    assert import_records([record(8, "ar")]).code == 0
    with TestClient(create_app(settings)):
        expected = topics("politics", "all")
        pings = hub.wait_for(lambda pings: accepted(pings) >= expected, timeout=10)
    assert accepted(pings) == expected


def test_a_date_the_store_cannot_convert_is_logged_once_and_blocks_no_other_feed(
    settings: Settings, hub: Hub, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """An older nashra stored 9999-12-31T23:59:59-12:00 (year 10000 in UTC), now rejected.

    That embargo's moment cannot become a datetime: the worker sets those
    feeds' timed change aside, logged once, and every other change still goes.
    """
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-12)))

    async def write_directly() -> None:  # no validation: the store as an older nashra left it
        store = await SQLiteStore.open(settings.store.path)
        try:
            await store.put_articles([article(1, published=far, updated=far, breaking=False)])
        finally:
            await store.close()

    asyncio.run(write_directly())
    with TestClient(create_app(settings, clock=clock), base_url=SITE) as client:
        expected = topics("english", "all")
        for writes in (1, 2):  # two writes in English, each pinged: rounds after rounds
            publish(client, record(7 * writes, "en", breaking=False))
            hub.wait_for(
                lambda pings, n=writes: sum(p.ok for p in pings) >= n * len(expected), timeout=10
            )
        assert accepted(hub.pings()) == expected
        time.sleep(2.5)  # more than two of the worker's error pauses: room for repeats
    logged = [r for r in caplog.records if r.name == "nashra.outbox" and r.levelno >= logging.ERROR]
    messages = [r.getMessage() for r in logged]
    assert len(messages) == 2, messages  # once per feed, not once a round
    assert any("'politics'" in m for m in messages) and any("'all'" in m for m in messages)
