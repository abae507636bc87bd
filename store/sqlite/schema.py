"""The store's schema, as numbered migrations tracked in ``PRAGMA user_version``.

Migration *n* is the *n*-th function of :data:`MIGRATIONS`: plain Python,
one ``execute`` per statement, so a step can move data as well as change
tables, and no statement is cut apart at a ``;`` inside it. A step never
changes once released: stores made by it exist.

Each feed is a range of ``feed_entries``' primary key, (feed, published,
article), so every feed query (a category, ``all`` or ``breaking``) is one
backwards index range scan that reads only the rows it returns.

A nashra store says so in its header: ``PRAGMA application_id`` is
:data:`APPLICATION_ID`. :func:`identify` looks at a file, read-only, before
anything opens it for writing, and refuses another program's SQLite file or
a schema newer than this code, so that neither is ever touched.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from datetime import datetime

from store.errors import StoreError
from store.sqlite.connection import transaction

#: ``PRAGMA application_id`` of every nashra store: the ASCII of "nshr".
APPLICATION_ID = int.from_bytes(b"nshr", "big")  # 0x6E736872

#: Every table any released migration creates (``hub_queue`` only until migration 2,
#: ``imports`` and ``import_staging`` from 4 until 7).
TABLES = frozenset(
    {
        "meta", "articles", "feed_entries", "feed_versions", "hub_queue", "outbox_sinks",
        "outbox", "imports", "import_staging", "sync_cursors",
    }
)  # fmt: skip

#: A migration step: it runs inside the migrating transaction; ``now`` stamps what it creates.
Migration = Callable[[sqlite3.Connection, datetime], None]


def create_store(conn: sqlite3.Connection, now: datetime) -> None:
    """1: articles, feed membership (with breaking-news expiry), per-feed versions,
    the queue of WebSub hub notifications, store identity."""
    for statement in (
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE articles (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            link TEXT NOT NULL,
            published TEXT NOT NULL,
            updated TEXT NOT NULL,
            updated_us INTEGER NOT NULL,
            categories TEXT NOT NULL,
            language TEXT NOT NULL,
            author TEXT,
            summary TEXT,
            content TEXT,
            breaking INTEGER NOT NULL,
            breaking_until TEXT,
            image_url TEXT,
            image_type TEXT,
            image_length INTEGER,
            feeds TEXT NOT NULL,
            digest TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE feed_entries (
            feed TEXT NOT NULL,
            published_us INTEGER NOT NULL,
            article INTEGER NOT NULL REFERENCES articles (pk) ON DELETE CASCADE,
            expires_us INTEGER,
            PRIMARY KEY (feed, published_us, article)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX feed_entries_by_article ON feed_entries (article)",
        """
        CREATE INDEX feed_entries_expiring ON feed_entries (feed, expires_us)
            WHERE expires_us IS NOT NULL
        """,
        """
        CREATE TABLE feed_versions (
            feed TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            modified_us INTEGER NOT NULL
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE hub_queue (
            feed TEXT PRIMARY KEY,
            due_us INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        ) WITHOUT ROWID
        """,
    ):
        conn.execute(statement)
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)",
        [
            ("store_id", secrets.token_hex(8)),
            ("created", now.replace(microsecond=0).isoformat()),
        ],
    )


def outbox_by_sink(conn: sqlite3.Connection, now: datetime) -> None:
    """2: the hub queue becomes the outbox, keyed by sink (websub, a CDN…).

    Queued hub notifications move to the ``websub`` sink, registered if any
    were queued (a server with a hub registers it when it starts anyway).
    """
    for statement in (
        "CREATE TABLE outbox_sinks (sink TEXT PRIMARY KEY) WITHOUT ROWID",
        """
        CREATE TABLE outbox (
            sink TEXT NOT NULL,
            feed TEXT NOT NULL,
            due_us INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            PRIMARY KEY (sink, feed)
        ) WITHOUT ROWID
        """,
        "INSERT INTO outbox_sinks (sink) SELECT 'websub' WHERE EXISTS (SELECT 1 FROM hub_queue)",
        """
        INSERT INTO outbox (sink, feed, due_us, attempts, last_error)
        SELECT 'websub', feed, due_us, attempts, last_error FROM hub_queue
        """,
        "DROP TABLE hub_queue",
    ):
        conn.execute(statement)


def image_details(conn: sqlite3.Connection, now: datetime) -> None:
    """3: a lead image's alternative text and size in pixels, all optional.

    ``image_length`` was always nullable; the import may now leave it out.
    """
    for column in ("image_alt TEXT", "image_width INTEGER", "image_height INTEGER"):
        conn.execute(f"ALTER TABLE articles ADD COLUMN {column}")


def import_staging(conn: sqlite3.Connection, now: datetime) -> None:
    """4: imports in progress, and the articles they staged, which no feed shows.

    ``nashra import`` writes each validated article into ``import_staging``
    under its import's id, in small transactions, and makes the whole import
    visible in one final transaction (see :mod:`store.sqlite.staging`). The
    columns a decision reads (id, digest, updated) come first, so deciding
    reads no long text. ``imports`` holds one row per import not finished:
    its staged rows are a dead import's leftovers once the import's lock
    file is no longer locked.
    """
    for statement in (
        """
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            pid INTEGER NOT NULL,
            started TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE import_staging (
            import INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            id TEXT NOT NULL,
            digest TEXT NOT NULL,
            updated_us INTEGER NOT NULL,
            feeds TEXT NOT NULL,
            entries TEXT NOT NULL,
            title TEXT NOT NULL,
            link TEXT NOT NULL,
            published TEXT NOT NULL,
            updated TEXT NOT NULL,
            categories TEXT NOT NULL,
            language TEXT NOT NULL,
            author TEXT,
            summary TEXT,
            content TEXT,
            breaking INTEGER NOT NULL,
            breaking_until TEXT,
            image_url TEXT,
            image_type TEXT,
            image_length INTEGER,
            image_alt TEXT,
            image_width INTEGER,
            image_height INTEGER,
            PRIMARY KEY (import, seq)
        )
        """,
    ):
        conn.execute(statement)


def sync_cursors(conn: sqlite3.Connection, now: datetime) -> None:
    """5: where each sync from another system (a WordPress site) stands.

    ``modified_us``: the newest modification time committed from it;
    ``checked_us``: when the store last compared its articles with what the
    system still publishes. Written in the same transaction as the articles.
    """
    conn.execute(
        """
        CREATE TABLE sync_cursors (
            source TEXT PRIMARY KEY,
            modified_us INTEGER,
            checked_us INTEGER
        ) WITHOUT ROWID
        """
    )


def outbox_claims(conn: sqlite3.Connection, now: datetime) -> None:
    """6: mark outbox changes claimed and being delivered.

    A sink that goes after another (WebSub after the caches' purges) waits
    while the first sink's change of a feed is claimed; telling a claimed
    row by its due time alone (a lease ahead) also held it for a change
    queued to come within a lease (an embargo ending in 20 s).
    """
    conn.execute("ALTER TABLE outbox ADD COLUMN claimed INTEGER NOT NULL DEFAULT 0")


def imports_staged_in_files(conn: sqlite3.Connection, now: datetime) -> None:
    """7: imports stage their articles in files of their own, not in the store.

    Staged rows in the store were written twice (WAL, then the file) and
    deleted row by row once published; a staging file is written once and
    removed whole (see :mod:`store.sqlite.staging`). Rows an import of an
    older nashra left go with the tables: they were never visible.
    """
    conn.execute("DROP TABLE import_staging")
    conn.execute("DROP TABLE imports")


MIGRATIONS: tuple[Migration, ...] = (
    create_store,
    outbox_by_sink,
    image_details,
    import_staging,
    sync_cursors,
    outbox_claims,
    imports_staged_in_files,
)


def migrate(conn: sqlite3.Connection, now: datetime) -> None:
    """Bring the schema up to date, all steps in one transaction.

    The version that decides what to run is read inside ``BEGIN IMMEDIATE``
    (as lemon24/reader's migrations do): of several processes opening one
    new store at once, one migrates while the others wait for its lock, then
    find nothing left to do. Read before the lock, they would all migrate
    from 0. A store already up to date is seen without the lock (versions
    only grow), so opening one never waits for a long write. A store newer
    than this code is refused, not touched.
    """
    if _version(conn) == schema_version() and _application_id(conn) == APPLICATION_ID:
        return
    with transaction(conn):
        identify(conn)  # again under the lock: the file may have been made meanwhile
        found = _version(conn)
        for step in MIGRATIONS[found:]:
            step(conn, now)
        if found < schema_version():
            conn.execute(f"PRAGMA user_version = {schema_version()}")
        # New stores, and those made before nashra marked its own (user_version >= 1,
        # application_id 0), are marked here rather than in step 1: a released step never
        # changes, and this one place covers both.
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def identify(conn: sqlite3.Connection) -> None:
    """Raise :class:`StoreError` unless ``conn``'s file is empty or a nashra store this code reads.

    Ours: :data:`APPLICATION_ID`, or application_id 0 with a user_version of 1
    or more and a ``meta`` table (made by a nashra that did not mark its
    stores yet). An unmarked database at user_version 0 with no table but
    nashra's (none, for a new file) becomes a new store. Anything else
    belongs to another program. Only reads: it is run on a read-only
    connection before anything writes, and again in :func:`migrate`'s lock.
    """
    application_id, version = _application_id(conn), _version(conn)
    tables = {
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not name.startswith("sqlite_")
    }
    legacy = application_id == 0 and version >= 1 and "meta" in tables
    fresh = application_id == 0 and version == 0 and tables <= TABLES
    if application_id != APPLICATION_ID and not legacy and not fresh:
        raise StoreError(
            "it is not a nashra store but another program's SQLite file"
            f" (application_id {application_id:#x}, user_version {version},"
            f" tables: {_some(sorted(tables))}); nothing was changed"
        )
    if version > schema_version():
        raise StoreError(
            f"its schema version is {version}, newer than this nashra's ({schema_version()}):"
            " it was written by a newer nashra; run that one; nothing was changed"
        )


def _version(conn: sqlite3.Connection) -> int:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    return int(version)


def _some(names: list[str], shown: int = 5) -> str:
    """``names`` for a one-line message: at most ``shown`` of them, and how many more."""
    listed = ", ".join(names[:shown]) or "none"
    return f"{listed} and {len(names) - shown} more" if len(names) > shown else listed


def _application_id(conn: sqlite3.Connection) -> int:
    (application_id,) = conn.execute("PRAGMA application_id").fetchone()
    return int(application_id)


def schema_version() -> int:
    """The schema version this code writes."""
    return len(MIGRATIONS)
