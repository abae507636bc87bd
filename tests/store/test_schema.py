"""Migrations: a new store gets the latest schema; an older one is brought up to it, data kept."""

from __future__ import annotations

import contextlib
import inspect
import sqlite3
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from store.errors import StoreError
from store.sqlite.connection import connect, transaction
from store.sqlite.rows import ARTICLE_COLUMNS, prepare
from store.sqlite.schema import APPLICATION_ID, MIGRATIONS, schema_version
from store.sqlite.store import SQLiteStore
from store.types import Image, Outcome, to_us
from tests.support.builders import LATER, NOW, article
from tests.support.store import run


def test_a_new_store_gets_the_latest_schema_and_an_identity(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    async def identity(store: SQLiteStore) -> tuple[str, datetime]:
        return store.store_id, store.created

    store_id, created = run(identity, path)
    assert run(identity, path) == (store_id, created)  # opened again: nothing to migrate
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (schema_version(),)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    assert meta == {"store_id": store_id, "created": created.isoformat()}
    assert "hub_queue" not in _tables(path)
    assert {"outbox", "outbox_sinks"} <= _tables(path)


def test_a_new_store_holds_several_articles_a_page_and_an_old_one_keeps_its_pages(
    tmp_path: Path,
) -> None:
    new, old = tmp_path / "new.db", tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(old)) as conn:
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("VACUUM")  # an empty file made with SQLite's default pages
    for path in (new, old):
        run(lambda store: store.put_articles([article(i) for i in range(200)]), path)
    sizes = {}
    for path in (new, old):
        with contextlib.closing(sqlite3.connect(path)) as conn:
            (sizes[path],) = conn.execute("PRAGMA page_size").fetchone()
    assert sizes == {new: 16384, old: 4096}


def test_opening_an_up_to_date_store_does_not_wait_for_a_write(tmp_path: Path) -> None:
    """A server worker starting during an import's transaction comes up at once."""
    path = tmp_path / "s.db"
    run(_nothing, path)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")  # another process's long write
        started = time.monotonic()
        run(_nothing, path)
        assert time.monotonic() - started < 1
        writer.execute("ROLLBACK")


def test_each_migration_is_one_function_and_any_version_reaches_the_same_schema(
    tmp_path: Path,
) -> None:
    """Stop after every step, migrate the rest: the schema is that of a store made at once."""
    assert len(MIGRATIONS) == schema_version()
    assert all(inspect.isfunction(step) for step in MIGRATIONS)
    fresh = tmp_path / "fresh.db"
    run(_nothing, fresh)
    for version in range(schema_version()):
        path = tmp_path / f"from-{version}.db"
        _store_at(path, version).close()
        run(_nothing, path)
        assert _schema(path) == _schema(fresh), f"migrating from version {version}"


#: The digest of ``article(1)`` with its image, computed by the code of schema 2, before
#: images had details: stored articles keep it, so a re-import of one is unchanged.
V2_DIGEST = "cc8ee4d56d1121b3e4d49b15b87e702f4ff6430ea37793a7474682cf499f017b"


def test_a_v1_store_keeps_its_articles_and_its_hub_queue_moves_to_websub(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v1.db"
    conn = _store_at(path, 1)
    stored = article(1, image=Image("https://news.example/a.jpg", "image/jpeg", 1234))
    with contextlib.closing(conn), transaction(conn):
        prepared = prepare(stored)
        assert prepared.digest == V2_DIGEST  # as schema 1 and 2 computed it, before image details
        v1_columns = ", ".join(ARTICLE_COLUMNS.split(", ")[:18])  # later ones came after
        conn.execute(
            f"INSERT INTO articles (pk, {v1_columns}) VALUES (1, {', '.join('?' * 18)})",
            prepared.row[:18],
        )
        conn.executemany(
            "INSERT INTO feed_entries (feed, published_us, article, expires_us)"
            " VALUES (?, ?, 1, ?)",
            prepared.entries,
        )
        conn.executemany(
            "INSERT INTO feed_versions (feed, version, modified_us) VALUES (?, 1, ?)",
            [(feed, to_us(NOW)) for feed in prepared.feeds],
        )
        conn.executemany(
            "INSERT INTO hub_queue (feed, due_us, attempts, last_error) VALUES (?, ?, ?, ?)",
            [("politics", 5, 0, None), ("all", 7, 2, "HTTP 503")],
        )

    async def scenario(store: SQLiteStore) -> None:
        assert await store.get_article("a-1") == stored
        # its digest is the one the current code computes: a re-import changes nothing
        assert await store.put_articles([stored]) == [Outcome.UNCHANGED]
        assert [a.id for a in await store.feed_articles("politics", 10, LATER)] == ["a-1"]
        assert await store.claim_changes("websub", LATER, 30) == [("politics", 0), ("all", 2)]
        detailed = replace(stored, image=replace(stored.image, alt="صورة", width=800, height=450))
        assert await store.put_articles([detailed]) == [Outcome.UPDATED]
        assert await store.get_article("a-1") == detailed

    run(scenario, path)
    assert "hub_queue" not in _tables(path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT sink FROM outbox_sinks").fetchall() == [("websub",)]
        errors = conn.execute("SELECT feed, last_error FROM outbox ORDER BY feed").fetchall()
    assert errors == [("all", "HTTP 503"), ("politics", None)]


def test_rows_an_older_import_left_in_the_store_go_with_its_staging_tables(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v6.db"
    conn = _store_at(path, 6)
    with contextlib.closing(conn), transaction(conn):
        conn.execute("INSERT INTO imports (id, pid, started) VALUES (7, 1, 'then')")
        prepared = prepare(article(1))
        conn.execute(
            "INSERT INTO import_staging (import, seq, id, digest, updated_us, feeds, entries,"
            " title, link, published, updated, categories, language, breaking)"
            " VALUES (7, 1, ?, ?, ?, '[]', '[]', 't', 'https://news.example/', '', '', '[]',"
            " 'ar', 0)",
            (prepared.id, prepared.digest, prepared.updated_us),
        )

    assert run(lambda store: store.count_articles(), path) == 0  # never visible, and gone
    assert not {"imports", "import_staging"} & _tables(path)


def test_an_empty_hub_queue_registers_no_sink(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _store_at(path, 1).close()
    run(_nothing, path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*) FROM outbox_sinks").fetchone() == (0,)


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    run(_nothing, path)
    newer = schema_version() + 1
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {newer}")
    before = _schema(path)
    with pytest.raises(StoreError) as caught:
        run(_nothing, path)
    assert f"schema version is {newer}, newer than this nashra's ({schema_version()})" in str(
        caught.value
    )
    assert str(path) in str(caught.value)
    assert _schema(path) == before


def test_a_store_is_marked_as_nashras_and_one_made_before_the_mark_is_adopted(
    tmp_path: Path,
) -> None:
    """New stores carry the mark; an unmarked one with a version (older nashra) gets it."""
    run(_nothing, tmp_path / "new.db")
    assert _marks(tmp_path / "new.db") == (APPLICATION_ID, schema_version())
    for version in range(1, schema_version() + 1):  # the current one as well: nothing to migrate
        path = tmp_path / f"unmarked-{version}.db"
        _store_at(path, version).close()
        assert _marks(path) == (0, version)
        run(_nothing, path)
        assert _marks(path) == (APPLICATION_ID, schema_version()), f"from version {version}"


@pytest.mark.parametrize(
    "foreign",
    [
        [
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
            "INSERT INTO notes VALUES (1, 'x')",
        ],
        ["PRAGMA application_id = 1198876", "PRAGMA user_version = 2", "CREATE TABLE meta (k)"],
        ["PRAGMA user_version = 5", "CREATE TABLE settings (k)"],
    ],
    ids=["tables-of-its-own", "another-application-id", "a-version-without-nashras-tables"],
)
def test_another_programs_sqlite_file_is_refused_and_left_untouched(
    tmp_path: Path, foreign: list[str]
) -> None:
    path = tmp_path / "theirs.db"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for statement in foreign:
            conn.execute(statement)
    before = path.read_bytes(), path.stat().st_mtime_ns
    with pytest.raises(StoreError) as caught:
        run(_nothing, path)
    assert "not a nashra store" in str(caught.value)
    assert str(path) in str(caught.value)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["theirs.db"]  # no -wal, no -shm


def _marks(path: Path) -> tuple[int, int]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (application_id,) = conn.execute("PRAGMA application_id").fetchone()
        (version,) = conn.execute("PRAGMA user_version").fetchone()
    return application_id, version


async def _nothing(store: SQLiteStore) -> None:
    pass


def _store_at(path: Path, version: int) -> sqlite3.Connection:
    """A store made by the first ``version`` migrations only, as an older nashra left it."""
    conn = connect(path, readonly=False)
    with transaction(conn):
        for step in MIGRATIONS[:version]:
            step(conn, NOW)
        conn.execute(f"PRAGMA user_version = {version}")
    return conn


def _tables(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def _schema(path: Path) -> tuple[int, list[tuple[str, str]]]:
    """The version and every table and index, each as SQLite parsed it (whitespace aside)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
    return version, [(name, " ".join(sql.split())) for name, sql in rows]
