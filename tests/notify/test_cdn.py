"""Purging caches: every change reaches every listed cache, before WebSub subscribers hear.

The caches and the hub are real HTTP servers on loopback
(:mod:`tests.support.hub`), so requests, refusals and retries are real;
each records its requests in one order shared by all, which tells whether
a purge came before a ping. Retries and embargoes are timed by the app's
clock, which the tests move. tests/test_varnish.py runs the same purges
against a real Varnish.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from feeds.config.settings import Settings
from tests.notify.test_websub import accepted, eventually, publish, topics
from tests.support.builders import record
from tests.support.clock import Clock
from tests.support.config import MakeConfig, token
from tests.support.hub import Hub, Ping, running_hub

TOKEN = "websub-test-token"  # the one publish() sends


@pytest.fixture
def hub(clock: Clock) -> Iterator[Hub]:
    with running_hub(clock) as hub:
        yield hub


@pytest.fixture
def caches(clock: Clock) -> Iterator[tuple[Hub, Hub]]:
    with running_hub(clock) as first, running_hub(clock) as second:
        yield first, second


@pytest.fixture
def config_file(make_config: MakeConfig, hub: Hub, caches: tuple[Hub, Hub]) -> Path:
    return make_config(
        websub={"hub": hub.url},
        cdn={"purge": [cache.url for cache in caches], "purge_timeout": 1},
        tokens=[token("cms", TOKEN)],
    )


def purged(pings: Iterable[Ping]) -> set[str]:
    """The feeds whose purge a cache accepted."""
    return {
        ping.headers["xkey-purge"].removeprefix("nashra-feed-")
        for ping in pings
        if ping.ok and ping.method == "PURGE"
    }


def queued(db: Path) -> dict[str, int]:
    """The store's outbox for the caches: feed -> failed attempts."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT feed, attempts FROM outbox WHERE sink = 'cdn'").fetchall()
    return dict(rows)


def due_in(db: Path, clock: Clock) -> float:
    """Seconds from the clock's now until the latest queued purge is due."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (due_us,) = conn.execute("SELECT max(due_us) FROM outbox WHERE sink = 'cdn'").fetchone()
    return float(due_us / 1_000_000 - clock.now)


def test_a_write_purges_each_feed_at_every_cache_before_websub_pings(
    client: TestClient, hub: Hub, caches: tuple[Hub, Hub]
) -> None:
    publish(client, record(1, "ar"), record(2, "fa"))
    feeds = {"politics", "farsi", "all"}
    for cache in caches:
        pings = cache.wait_for(lambda pings: purged(pings) >= feeds, timeout=10)
        assert sorted(purged(pings)) == sorted(feeds)
        assert all(p.method == "PURGE" and p.headers["xkey-purge"] for p in pings)
        assert len(pings) == len(feeds)  # one request per feed: its key covers every format
    pings = hub.wait_for(lambda pings: accepted(pings) >= topics(*feeds), timeout=10)
    for feed in feeds:  # a subscriber told of a change finds every cache purged already
        purge = max(p.order for c in caches for p in c.pings() if purged([p]) == {feed})
        ping = min(p.order for p in pings if p.topic in topics(feed))
        assert purge < ping, feed


def test_a_cache_that_is_down_holds_websub_until_it_is_purged(
    client: TestClient, hub: Hub, caches: tuple[Hub, Hub], settings: Settings, clock: Clock
) -> None:
    clock.stop()
    up, down = caches
    down.stop()  # its port refuses connections
    db = settings.store.path
    publish(client, record(3, "ar"))
    feeds = {"politics", "all"}
    up.wait_for(lambda pings: purged(pings) >= feeds, timeout=10)  # not kept waiting
    eventually(lambda: queued(db) == dict.fromkeys(feeds, 1), timeout=10)
    time.sleep(0.5)  # more than the worker's poll: room for a ping that must not come
    assert hub.pings() == []  # subscribers would fetch the old feed from the cache that is down
    assert client.get("/feeds/politics.rss").status_code == 200  # serving and writing go on
    publish(client, record(4, "ar"))  # tried at once, failed again: kept
    eventually(lambda: queued(db) == dict.fromkeys(feeds, 2), timeout=10)
    down.start()
    clock.advance(due_in(db, clock))
    pings = down.wait_for(lambda pings: purged(pings) >= feeds, timeout=10)
    assert purged(pings) == feeds
    assert eventually(lambda: not queued(db), timeout=5)
    told = hub.wait_for(lambda pings: accepted(pings) >= topics(*feeds), timeout=10)
    assert min(p.order for p in told) > max(p.order for p in pings)


def test_an_embargo_end_is_purged_at_its_moment(
    client: TestClient, caches: tuple[Hub, Hub], clock: Clock
) -> None:
    written_at = clock.stop()
    moment = math.floor(written_at) + 2
    stamp = datetime.fromtimestamp(moment, UTC).isoformat()
    publish(client, record(5, "ar", published=stamp, updated=stamp))
    cache = caches[0]
    early = cache.wait_for(lambda pings: purged(pings) >= {"politics", "all"}, timeout=10)
    clock.advance(moment - written_at - 0.01)
    time.sleep(0.3)  # more than the worker's poll: room for a purge that must not come yet
    assert len(cache.pings()) == len(early)
    clock.advance(0.01)
    pings = cache.wait_for(lambda pings: len(pings) >= 2 * len(early), timeout=10)
    late = pings[len(early) :]
    assert purged(late) == {"politics", "all"}
    assert all(ping.at == moment for ping in late)


def test_a_timed_change_coming_soon_does_not_hold_a_writes_ping(
    client: TestClient, hub: Hub, caches: tuple[Hub, Hub], clock: Clock
) -> None:
    written_at = clock.stop()
    soon = datetime.fromtimestamp(math.floor(written_at) + 20, UTC).isoformat()
    publish(client, record(6, "ar", published=soon, updated=soon))  # politics changes in 20 s
    first = hub.wait_for(lambda pings: accepted(pings) >= topics("politics", "all"), timeout=10)
    assert accepted(first) >= topics("politics", "all")
    told = len(hub.pings())
    publish(client, record(7, "ar"))  # a write now, while the purge in 20 s is queued
    # the clock does not move: the ping follows the purge, not the embargo's end
    fresh = topics("politics", "all")
    pings = hub.wait_for(lambda pings: accepted(pings[told:]) >= fresh, timeout=10)
    assert accepted(pings[told:]) >= fresh
