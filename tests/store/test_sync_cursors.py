"""A sync's page, its removals and its cursor: written together or not at all."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from store.errors import StoreError
from store.sqlite.connection import connect, transaction
from store.sqlite.schema import MIGRATIONS, schema_version
from store.sqlite.store import SQLiteStore
from store.types import Outcome, SyncCursor
from tests.support.builders import LATER, NOW, article
from tests.support.store import run

SITE = "https://wp.example/"


def test_a_page_and_its_cursor_are_one_commit(tmp_path: Path) -> None:
    async def scenario(store: SQLiteStore) -> Any:
        first = await store.put_synced([article(1), article(2)], [], SyncCursor(SITE, NOW))
        second = await store.put_synced(
            [article(1, title="جديد")], ["a-2", "a-9"], SyncCursor(SITE, LATER, LATER)
        )
        return first, second, await store.sync_cursors(), await store.article_ids("a-")

    first, second, cursors, ids = run(scenario, tmp_path / "s.db")
    assert first == ([Outcome.ADDED, Outcome.ADDED], 0)
    assert second == ([Outcome.UPDATED], 1)  # a-9 never existed
    assert cursors == [SyncCursor(SITE, LATER, LATER)]
    assert ids == ["a-1"]


def test_a_failing_page_leaves_the_articles_and_the_cursor_as_they_were(tmp_path: Path) -> None:
    async def scenario(store: SQLiteStore) -> Any:
        await store.put_synced([article(1)], [], SyncCursor(SITE, NOW))
        broken = SyncCursor(None, LATER)  # type: ignore[arg-type]  # the cursor's write fails
        with pytest.raises(StoreError):
            await store.put_synced([article(2)], ["a-1"], broken)
        return await store.article_ids(""), await store.sync_cursors()

    ids, cursors = run(scenario, tmp_path / "s.db")
    assert ids == ["a-1"]
    assert cursors == [SyncCursor(SITE, NOW)]


def test_article_ids_takes_the_prefix_literally(tmp_path: Path) -> None:
    async def scenario(store: SQLiteStore) -> list[str]:
        await store.put_articles(
            [article(1, id="wp-1"), article(2, id="wpx1"), article(3, id="WP-3")]
        )
        return await store.article_ids("wp-")

    assert run(scenario, tmp_path / "s.db") == ["wp-1"]


def test_a_store_of_schema_4_gets_the_cursor_table(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with contextlib.closing(connect(path, readonly=False)) as conn, transaction(conn):
        for step in MIGRATIONS[:4]:  # as a nashra of schema 4 left it
            step(conn, NOW)
        conn.execute("PRAGMA user_version = 4")
    cursors = run(lambda store: store.sync_cursors(), path)
    assert cursors == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (schema_version(),)
