"""The SQLite store: versions move with every change; writes are checked and stamped."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from datetime import timedelta
from pathlib import Path

import pytest

from store.errors import StoreConflict
from store.protocol import Store
from store.sqlite.connection import connect
from store.sqlite.rows import prepare
from store.sqlite.store import SQLiteStore
from store.types import Article, Outcome, to_us
from tests.support.builders import LATER, NOW, article
from tests.support.clock import Clock
from tests.support.store import run


def test_versions_move_with_every_change_to_a_feed(tmp_path: Path) -> None:
    async def scenario(store: SQLiteStore) -> None:
        assert await store.put_articles([article(0), article(1)]) == [Outcome.ADDED] * 2
        first = await store.feed_times(LATER)
        assert {first[k].version for k in ("politics", "all", "breaking")} == {1}
        assert await store.put_articles([article(0)]) == [Outcome.UNCHANGED]
        assert await store.feed_times(LATER) == first
        moved = article(0, categories=("economy",), breaking=False, updated=NOW)
        assert await store.put_articles([moved]) == [Outcome.UPDATED]
        second = await store.feed_times(LATER)
        # left politics and breaking, joined economy: all three move
        assert second["politics"].version == 2
        assert second["breaking"].version == 2
        assert second["economy"].version == 1
        stale = article(0, title="older", updated=NOW - timedelta(days=9))
        assert await store.put_articles([stale]) == [Outcome.STALE]
        assert await store.feed_times(LATER) == second
        assert await store.delete_article("a-0")
        third = await store.feed_times(LATER)
        assert third["economy"].version == 2
        assert third["all"].version == second["all"].version + 1
        assert third["politics"] == second["politics"]
        assert await store.feed_articles("economy", 50, NOW) == []
        assert not await store.delete_article("a-0")

    run(scenario, tmp_path / "s.db")


def test_feed_order_limit_and_round_trip(tmp_path: Path) -> None:
    async def scenario(store: SQLiteStore) -> list[Article]:
        await store.put_articles([article(i) for i in (3, 1, 2, 0)])
        return await store.feed_articles("politics", 3, NOW)

    got = run(scenario, tmp_path / "s.db")
    assert [a.id for a in got] == ["a-0", "a-1", "a-2"]
    assert got[0] == article(0)


def test_another_connections_commit_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    async def scenario(store: SQLiteStore) -> tuple[bool, bool]:
        store.changed()
        run_other = asyncio.to_thread(run, lambda other: other.put_articles([article(5)]), path)
        await run_other
        return store.changed(), store.changed()

    assert run(scenario, path) == (True, False)


def test_a_write_checked_against_older_data_is_refused(tmp_path: Path) -> None:
    """The API checks a token's scope on what it read; the write fails if that changed."""

    async def scenario(store: SQLiteStore) -> None:
        await store.put_articles([article(1)])
        seen = {"a-1": article(1).feed_keys()}
        moved = article(1, categories=("economy",), updated=NOW)
        await store.put_articles([moved])  # another writer moves it meanwhile
        with pytest.raises(StoreConflict):
            await store.put_articles([article(1, title="x", updated=NOW)], expected=seen)
        with pytest.raises(StoreConflict):
            await store.delete_article("a-1", expected=article(1).feed_keys())
        assert await store.get_article("a-1") == moved
        assert await store.delete_article("a-1", expected=moved.feed_keys())

    run(scenario, tmp_path / "s.db")


def test_every_write_is_stamped_from_the_stores_clock(tmp_path: Path) -> None:
    """The clock given to ``open`` dates a new store, and each write's feeds."""
    clock = Clock.at(NOW + timedelta(microseconds=123_456))

    async def scenario(store: SQLiteStore) -> None:
        assert store.created == NOW  # to the second
        clock.advance(60)
        await store.put_articles([article(1)])
        written = await store.feed_times(LATER)
        assert {t.written_us for t in written.values()} == {to_us(clock.moment)}
        clock.advance(60)
        await store.put_prepared([prepare(article(1, title="x", updated=NOW))])
        assert (await store.feed_times(LATER))["politics"].written_us == to_us(clock.moment)
        clock.advance(60)
        await store.delete_article("a-1")
        assert (await store.feed_times(LATER))["all"].written_us == to_us(clock.moment)

    run(scenario, tmp_path / "s.db", clock)


def test_the_sqlite_store_has_every_member_of_the_protocol_as_declared() -> None:
    """At run time, what mypy checks in store/sqlite/store.py: same names, same signatures."""
    members = {name: m for name, m in vars(Store).items() if not name.startswith("_")}
    assert members
    for name, declared in members.items():
        implemented = inspect.getattr_static(SQLiteStore, name)
        if isinstance(declared, property):
            assert isinstance(implemented, property), name
            declared, implemented = declared.fget, implemented.fget
        assert inspect.signature(implemented) == inspect.signature(declared), name


def test_the_writer_syncs_each_commit_so_an_acknowledged_write_survives_power_loss(
    tmp_path: Path,
) -> None:
    """WAL with synchronous NORMAL may lose the last commits on power loss; FULL may not."""
    with contextlib.closing(connect(tmp_path / "s.db", readonly=False)) as writer:
        assert writer.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert writer.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
