"""The store's schema, as numbered migrations tracked in ``PRAGMA user_version``.

Each feed is a range of ``feed_entries``' primary key, (feed, published,
article), so every feed query (a category, ``all`` or ``breaking``) is one
backwards index range scan that reads only the rows it returns.
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime

MIGRATIONS: tuple[str, ...] = (
    # 1: articles, feed membership (with breaking-news expiry), per-feed versions,
    # the queue of WebSub hub notifications, store identity
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;

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
    );

    CREATE TABLE feed_entries (
        feed TEXT NOT NULL,
        published_us INTEGER NOT NULL,
        article INTEGER NOT NULL REFERENCES articles (pk) ON DELETE CASCADE,
        expires_us INTEGER,
        PRIMARY KEY (feed, published_us, article)
    ) WITHOUT ROWID;

    CREATE INDEX feed_entries_by_article ON feed_entries (article);

    CREATE INDEX feed_entries_expiring ON feed_entries (feed, expires_us)
        WHERE expires_us IS NOT NULL;

    CREATE TABLE feed_versions (
        feed TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        modified_us INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE hub_queue (
        feed TEXT PRIMARY KEY,
        due_us INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    ) WITHOUT ROWID;
    """,
)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date, in one transaction per migration."""
    (current,) = conn.execute("PRAGMA user_version").fetchone()
    for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if number == 1:
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("store_id", secrets.token_hex(8)), ("created", _now_iso())],
                )
            conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def schema_version() -> int:
    """The schema version this code writes."""
    return len(MIGRATIONS)


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
