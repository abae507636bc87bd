"""A staged import, published at once, leaves the store exactly as ``put_prepared`` would.

Two real stores start alike; one takes a sequence of articles as one
``put_prepared`` batch, the other stages the same sequence (in several
chunks, out of order, as worker processes do) and publishes it. Every table
a reader or the outbox sees must then be identical, pk for pk, and so must
the outcomes counted.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from store.errors import StoreError
from store.sqlite import staging
from store.sqlite.rows import prepare
from store.sqlite.store import SQLiteStore
from store.types import Article, Outcome, Prepared
from tests.support.builders import NOW, article
from tests.support.clock import Clock
from tests.support.store import run

T = TypeVar("T")

STORED = [article(i) for i in range(6)]


def variants(rng: random.Random) -> list[Article]:
    """Records an import may hold: new, identical, newer, older, moved, same time other text."""
    index = rng.randrange(10)
    base = article(index)
    shift = timedelta(hours=rng.choice([-2, 0, 0, 1, 3]))
    return [
        base,
        article(index, title=f"عنوان آخر {rng.randrange(3)}", updated=base.updated + shift),
        article(index, categories=("economy",), updated=base.updated + shift),
        article(index, breaking=not base.breaking, updated=base.updated + shift),
    ]


def sequences() -> list[list[Article]]:
    fixed = [
        article(1, title="أحدث", updated=NOW + timedelta(hours=1)),  # updated
        article(1, title="أقدم", updated=NOW - timedelta(days=1)),  # stale against the line above
        article(2),  # unchanged
        article(3, title="أقدم", updated=NOW - timedelta(days=9)),  # stale
        article(7),  # added
        article(7),  # unchanged against the line above
        article(7, categories=("economy",), updated=NOW + timedelta(hours=2)),  # updated, moved
        article(8, breaking=True, breaking_until=NOW + timedelta(hours=1)),  # added, expiring
        article(4, categories=("economy",)),  # same updated, other text: updated
    ]
    # only new ids, each once, in a feed nothing else touches: its version and ping come
    # from these records alone
    only_new = [article(21, categories=("sports",)), article(23, categories=("sports",))]
    rng = random.Random(7)
    randomized = [[rng.choice(variants(rng)) for _ in range(40)] for _ in range(4)]
    return [fixed, only_new, *randomized]


def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table a feed, an article read or the outbox sees, in a fixed order."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
            for table, order in (
                ("articles", "pk"),
                ("feed_entries", "feed, published_us, article"),
                ("feed_versions", "feed"),
                ("outbox", "sink, feed"),
            )
        }


def prepared_store(path: Path, clock: Clock) -> None:
    async def setup(store: SQLiteStore) -> None:
        await store.register_sink("websub")
        await store.put_articles(STORED)

    run(setup, path, clock)


@pytest.fixture
def clock() -> Clock:
    return Clock.at(NOW)


@pytest.fixture
def path(tmp_path: Path, clock: Clock) -> Path:
    """A store that holds :data:`STORED`, with a sink registered."""
    store = tmp_path / "store.db"
    prepared_store(store, clock)
    return store


@pytest.mark.parametrize("sequence", sequences(), ids=lambda s: f"{len(s)} records")
def test_publishing_a_staged_import_writes_what_one_put_prepared_batch_writes(
    sequence: list[Article], tmp_path: Path
) -> None:
    clock = Clock.at(NOW)
    batch, staged = tmp_path / "batch.db", tmp_path / "staged.db"
    for path in (batch, staged):
        prepared_store(path, clock)
    records: list[Prepared] = [prepare(a) for a in sequence]

    async def in_one_batch(store: SQLiteStore) -> Counter[Outcome]:
        return Counter(await store.put_prepared(records))

    async def staged_and_published(store: SQLiteStore) -> Counter[Outcome]:
        started = await store.start_import()
        positioned = list(enumerate(records, start=1))
        chunks = [positioned[i : i + 3] for i in range(0, len(positioned), 3)]
        random.Random(len(records)).shuffle(chunks)  # workers finish in any order
        for chunk in chunks:
            started.stager(chunk)
        return Counter({k: v for k, v in (await started.publish()).items() if v})

    expected = run(in_one_batch, batch, clock)
    assert run(staged_and_published, staged, clock) == expected
    assert snapshot(staged) == snapshot(batch)
    assert list(tmp_path.glob("staged.db-import-*")) == []


def test_a_discarded_import_leaves_nothing(path: Path, clock: Clock, tmp_path: Path) -> None:
    before = snapshot(path)

    async def discarded(store: SQLiteStore) -> None:
        started = await store.start_import()
        started.stager([(1, prepare(article(9))), (2, prepare(article(1, title="x")))])
        await started.discard()

    run(discarded, path, clock)
    assert snapshot(path) == before
    assert list(tmp_path.glob("store.db-import-*")) == []


def test_a_store_opened_while_an_import_starts_never_takes_it_for_dead(
    path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another command opening the store (its leftover cleanup) at each step of a start."""

    cleaning: list[bool] = []

    def clean_up() -> None:  # what every store open does
        cleaning.append(True)
        try:
            staging.remove_dead_imports(path)
        finally:
            cleaning.pop()

    def before(call: Callable[..., T]) -> Callable[..., T]:
        def wrapped(*args: Any) -> T:
            if not cleaning:  # the import's own call, not the cleaner's
                clean_up()
            return call(*args)

        return wrapped

    monkeypatch.setattr(staging.fcntl, "flock", before(fcntl.flock))
    monkeypatch.setattr(staging.os, "link", before(os.link))

    async def started(store: SQLiteStore) -> dict[Outcome, int]:
        started = await store.start_import()
        started.stager([(1, prepare(article(9)))])
        monkeypatch.undo()
        clean_up()  # a later open, while the import still runs
        return await started.publish()

    assert run(started, path, clock)[Outcome.ADDED] == 1
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*) FROM articles WHERE id = 'a-9'").fetchone() == (1,)


def test_a_start_killed_before_its_lock_file_was_in_place_leaves_nothing(
    path: Path, clock: Clock, tmp_path: Path
) -> None:
    dead = tmp_path / "store.db-import-7.99999999.new"  # beyond any pid: its start is dead
    dead.touch()
    starting = tmp_path / f"store.db-import-8.{os.getpid()}.new"  # a start under way
    starting.touch()
    run(lambda store: store.count_articles(), path, clock)
    assert not dead.exists()
    assert starting.exists()


def test_the_files_of_dead_imports_go_when_the_store_is_opened(
    path: Path, clock: Clock, tmp_path: Path
) -> None:
    left = [
        tmp_path / "store.db-import-5.staged",  # its lock file already removed
        tmp_path / "store.db-import-6",  # a lock file nobody holds, and its staging file
        tmp_path / "store.db-import-6.staged",
    ]
    for file in left:
        file.write_bytes(b"")
    unrelated = tmp_path / "store.db-import-notes.staged"
    unrelated.write_bytes(b"")
    run(lambda store: store.count_articles(), path, clock)
    assert [file for file in left if file.exists()] == []
    assert unrelated.exists()


def test_files_only_named_like_an_imports_are_left_alone(
    path: Path, clock: Clock, tmp_path: Path
) -> None:
    """Opening news.db once removed a copy of the store someone had named news.db-import-2024."""
    kept = {
        tmp_path / "store.db-import-2024": b"SQLite format 3\x00 a copy of the store",
        tmp_path / "store.db-import-2024.staged": b"SQLite format 3\x00 its staging? no",
        tmp_path / "store.db-import-77.staged": b"notes, not a database",
        tmp_path / f"store.db-import-5.{2**22 + 1}.new": b"not empty",
    }
    for file, content in kept.items():
        file.write_bytes(content)
    run(lambda store: store.count_articles(), path, clock)
    assert {file: file.read_bytes() for file in kept if file.exists()} == kept


@pytest.mark.parametrize("damage", ["removed", "overwritten"])
def test_a_staging_file_lost_before_publishing_publishes_nothing(
    damage: str, path: Path, clock: Clock, tmp_path: Path
) -> None:
    before = snapshot(path)

    async def lost(store: SQLiteStore) -> str:
        started = await store.start_import()
        started.stager([(1, prepare(article(9))), (2, prepare(article(1, title="x")))])
        (staged,) = tmp_path.glob("store.db-import-*.staged")
        if damage == "removed":
            staged.unlink()
        else:
            staged.write_bytes(b"\0" * 4096)
        with pytest.raises(StoreError) as caught:
            await started.publish()
        return str(caught.value)

    assert run(lost, path, clock).startswith(f"writing to the store {path} failed: ")
    assert snapshot(path) == before
    assert list(tmp_path.glob("store.db-import-*")) == []

    async def again(store: SQLiteStore) -> dict[Outcome, int]:
        started = await store.start_import()
        started.stager([(1, prepare(article(9)))])
        return await started.publish()

    assert run(again, path, clock)[Outcome.ADDED] == 1
