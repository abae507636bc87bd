"""The queue of WebSub hub notifications, one row per feed.

Writes queue a row per touched feed in their own transaction (see
:mod:`store.sqlite.articles`), so a notification survives a hub that is down, or a
server restart. A sender claims due rows by moving their due time one lease
ahead; a change queued meanwhile pulls the due time back, which is how a
sender knows not to forget a notification that is already stale.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from store.sqlite.connection import transaction

_MICRO = 1_000_000


def claim(conn: sqlite3.Connection, now_us: int, lease: float) -> list[tuple[str, int]]:
    lease_until = now_us + int(lease * _MICRO)
    with transaction(conn):
        rows = conn.execute(
            "SELECT feed, attempts FROM hub_queue WHERE due_us <= ? ORDER BY due_us", (now_us,)
        ).fetchall()
        conn.executemany(
            "UPDATE hub_queue SET due_us = ? WHERE feed = ?",
            [(lease_until, feed) for feed, _ in rows],
        )
    return [(str(feed), int(attempts)) for feed, attempts in rows]


def sent(conn: sqlite3.Connection, feed: str, claimed_us: int, lease: float) -> None:
    with transaction(conn):
        conn.execute(
            "DELETE FROM hub_queue WHERE feed = ? AND due_us = ?",
            (feed, claimed_us + int(lease * _MICRO)),
        )


def failed(
    conn: sqlite3.Connection,
    feed: str,
    claimed_us: int,
    lease: float,
    retry_us: int,
    error: str,
) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE hub_queue SET attempts = attempts + 1, last_error = ?,"
            " due_us = CASE WHEN due_us = ? THEN ? ELSE min(due_us, ?) END WHERE feed = ?",
            (error[:500], claimed_us + int(lease * _MICRO), retry_us, retry_us, feed),
        )


def queue(conn: sqlite3.Connection, feeds: Sequence[str], due_us: int) -> None:
    with transaction(conn):
        conn.executemany(
            "INSERT INTO hub_queue (feed, due_us) VALUES (?, ?)"
            " ON CONFLICT (feed) DO UPDATE SET due_us = min(due_us, excluded.due_us)",
            [(feed, due_us) for feed in feeds],
        )
