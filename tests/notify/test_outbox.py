"""The outbox worker on its own, with a sink that records what it is given.

WebSub's tests drive the same worker through a real hub; these pin what
every sink (a cache to purge next) relies on: each change delivered once
however many workers run, a failure retried after the backoff, a feed that
is no longer configured dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from feeds.notify.outbox import LEASE, OutboxWorker
from store.sqlite.store import SQLiteStore
from tests.support.builders import NOW, article
from tests.support.clock import Clock
from tests.support.faults import corrupt_store

FEEDS = ("politics", "all", "breaking")


class RecordingSink:
    """A sink that keeps every delivery and fails the next ones when told to."""

    name = "recording"

    def __init__(self) -> None:
        self.delivered: list[str] = []
        self.failures = 0

    async def deliver(self, feed: str) -> list[str]:
        if self.failures:
            self.failures -= 1
            return ["down"]
        self.delivered.append(feed)
        return []

    async def close(self) -> None:
        """Nothing to close."""


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


LEASE_END = NOW + timedelta(seconds=LEASE)  # a claimed change is due then, until settled


async def _settled(
    store: SQLiteStore, sink: str, done: Callable[[datetime | None], bool]
) -> datetime | None:
    """The sink's next due change once ``done`` holds for it: a delivery is recorded after it."""
    async with asyncio.timeout(10):
        while not done(due := await store.next_change_due(sink)):
            await asyncio.sleep(0.01)
    return due


def test_two_workers_deliver_each_change_once(tmp_path: Path) -> None:
    async def scenario() -> list[str]:
        clock = Clock.at(NOW)
        first = await SQLiteStore.open(tmp_path / "s.db", clock=clock)
        second = await SQLiteStore.open(tmp_path / "s.db", clock=clock)  # another process
        sink = RecordingSink()
        workers = [OutboxWorker(store, sink, FEEDS, clock) for store in (first, second)]
        try:
            for worker in workers:
                await worker.start()
            await first.put_articles([article(2)])  # politics, all, breaking
            for worker in workers:
                worker.wake()
            await _until(lambda: len(sink.delivered) >= 3)
            await asyncio.sleep(0.3)  # more than a poll: room for a duplicate that must not come
            return sorted(sink.delivered)
        finally:
            for worker in workers:
                await worker.stop()
            await first.close()
            await second.close()

    assert asyncio.run(scenario()) == sorted(FEEDS)


def test_a_failed_delivery_is_retried_after_the_backoff(tmp_path: Path) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        clock = Clock.at(NOW)
        store = await SQLiteStore.open(tmp_path / "s.db", clock=clock)
        sink = RecordingSink()
        sink.failures = 1
        worker = OutboxWorker(store, sink, ("politics", "all"), clock)
        try:
            await worker.start()
            await store.put_articles([article(1)])  # politics and all
            worker.wake()
            # one delivered, one failed: the failure's retry is queued, not its lease
            due = await _settled(
                store, sink.name, lambda due: due is not None and NOW < due < LEASE_END
            )
            assert due is not None and 0.9 <= (due - clock.moment).total_seconds() <= 1.1
            before = list(sink.delivered)
            clock.advance((due - clock.moment).total_seconds())
            await _until(lambda: len(sink.delivered) == 2)
            assert await _settled(store, sink.name, lambda due: due is None) is None  # sent
            return before, sink.delivered
        finally:
            await worker.stop()
            await store.close()

    before, after = asyncio.run(scenario())
    assert len(before) == 1 and sorted(after) == ["all", "politics"]


def test_a_change_to_a_feed_no_longer_configured_is_dropped(tmp_path: Path) -> None:
    async def scenario() -> tuple[list[str], object]:
        clock = Clock.at(NOW)
        store = await SQLiteStore.open(tmp_path / "s.db", clock=clock)
        sink = RecordingSink()
        worker = OutboxWorker(store, sink, ("all",), clock)  # politics was removed
        try:
            await worker.start()
            await store.put_articles([article(1)])
            worker.wake()
            await _until(lambda: sink.delivered == ["all"])
            await asyncio.sleep(0.3)  # more than a poll: the worker has settled
            return sink.delivered, await store.next_change_due(sink.name)
        finally:
            await worker.stop()
            await store.close()

    delivered, due = asyncio.run(scenario())
    assert delivered == ["all"]
    assert due is None  # the politics change left the outbox undelivered


class RaisingSink(RecordingSink):
    """A sink with a bug for one feed: it raises instead of answering."""

    async def deliver(self, feed: str) -> list[str]:
        if feed == "politics":
            raise RuntimeError("a bug for this one feed")
        return await super().deliver(feed)


def test_a_sink_that_raises_for_one_feed_delays_only_that_feed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> tuple[list[str], float]:
        clock = Clock.at(NOW)
        store = await SQLiteStore.open(tmp_path / "s.db", clock=clock)
        sink = RaisingSink()
        worker = OutboxWorker(store, sink, ("politics", "all"), clock)
        try:
            await worker.start()
            await store.put_articles([article(1)])  # politics and all
            worker.wake()
            await _until(lambda: sink.delivered == ["all"])
            await asyncio.sleep(0.3)  # more than a poll: the worker has settled
            due = await store.next_change_due(sink.name)
            assert due is not None
            return sink.delivered, (due - clock.moment).total_seconds()
        finally:
            await worker.stop()
            await store.close()

    delivered, due_in = asyncio.run(scenario())
    assert delivered == ["all"]
    assert 0.9 <= due_in <= 1.1  # a failure like any other: retried after the backoff
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and "'politics'" in logged[0].getMessage()
    assert logged[0].exc_info is not None  # with its traceback, to find the bug


def test_a_failure_that_repeats_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A store that fails every round (its file corrupted) is one traceback, not one a second."""

    async def scenario() -> None:
        store = await SQLiteStore.open(tmp_path / "s.db", clock=Clock.at(NOW))
        worker = OutboxWorker(store, RecordingSink(), FEEDS, Clock.at(NOW))
        try:
            await worker.start()
            corrupt_store(tmp_path / "s.db")
            worker.wake()
            await asyncio.sleep(2.5)  # more than two error pauses: room for the repeats
        finally:
            await worker.stop()
            await store.close()

    with caplog.at_level(logging.ERROR, logger="nashra.outbox"):
        asyncio.run(scenario())
    failures = [r for r in caplog.records if "looking at the outbox failed" in r.getMessage()]
    assert len(failures) == 1, [r.getMessage() for r in caplog.records]
