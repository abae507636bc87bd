"""The outbox: "feed X changed", one row per registered sink and feed.

A sink (the WebSub hub, a cache to purge…) registers once, in the store, so
that every write by any process queues a row for it per touched feed, in
the write's own transaction (see :mod:`store.sqlite.articles`): a change
survives a sink that is down, or a server restart. A sender claims due rows
by moving their due time one lease ahead; a change queued meanwhile pulls
the due time back, which is how a sender knows not to forget a change that
is already stale.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from store.sqlite.connection import transaction
from store.types import Claim, Hold

_MICRO = 1_000_000

#: Whether the change of row ``o`` waits for sink ?2's change of the same feed: one
#: due by ?3 (now), claimed and being delivered, or failed. ?2 NULL: none waits. A
#: change due later (an embargo's end) holds nothing until its moment.
_HELD = """
    EXISTS (SELECT 1 FROM outbox AS first WHERE first.sink = ?2 AND first.feed = o.feed
            AND (first.due_us <= ?3 OR first.claimed OR first.attempts > 0))
"""

#: When sink ?1's soonest change not held is due (µs), or NULL: read on the store's reader.
NEXT_DUE = f"SELECT min(due_us) FROM outbox AS o WHERE sink = ?1 AND NOT {_HELD}"


def hold_parameters(hold: Hold | None) -> tuple[str | None, int]:
    """The values of ?2 and ?3 in :data:`_HELD`."""
    return (None, 0) if hold is None else (hold.sink, hold.until_us)


# Queues a change of feed ?2, due at ?3, for sink ?1 (NULL: every registered
# sink); a row already queued keeps the earlier due time. "WHERE true" lets
# SQLite tell the upsert's ON CONFLICT from a join's ON.
_QUEUE = """
    INSERT INTO outbox (sink, feed, due_us)
    SELECT sink, ?2, ?3 FROM outbox_sinks WHERE ?1 IS NULL OR sink = ?1
    ON CONFLICT (sink, feed) DO UPDATE SET due_us = min(due_us, excluded.due_us)
"""


def queue_in_transaction(
    conn: sqlite3.Connection, sink: str | None, feeds: Sequence[str], due_us: int
) -> None:
    """Queue a change of each of ``feeds`` for ``sink``, or every registered sink if None.

    It takes no transaction of its own: a write calls it inside its own, so
    the change is queued if and only if the write commits. A sink that is
    not registered gets nothing.
    """
    conn.executemany(_QUEUE, [(sink, feed, due_us) for feed in feeds])


def queue(conn: sqlite3.Connection, sink: str, feeds: Sequence[str], due_us: int) -> None:
    """Queue changes that come by time, not by a write (an embargo ending)."""
    with transaction(conn):
        queue_in_transaction(conn, sink, feeds, due_us)


def register(conn: sqlite3.Connection, sink: str) -> None:
    with transaction(conn):
        conn.execute("INSERT INTO outbox_sinks (sink) VALUES (?) ON CONFLICT DO NOTHING", (sink,))


def claim(
    conn: sqlite3.Connection, sink: str, now_us: int, lease: float, hold: Hold | None = None
) -> list[Claim]:
    """The due changes of ``sink`` not held, soonest first, each due again when its lease ends."""
    lease_until = now_us + int(lease * _MICRO)
    with transaction(conn):
        rows = conn.execute(
            "SELECT feed, attempts FROM outbox AS o WHERE sink = ?1 AND due_us <= ?4"
            f" AND NOT {_HELD} ORDER BY due_us",
            (sink, *hold_parameters(hold), now_us),
        ).fetchall()
        conn.executemany(
            "UPDATE outbox SET due_us = ?, claimed = 1 WHERE sink = ? AND feed = ?",
            [(lease_until, sink, feed) for feed, _ in rows],
        )
    return [Claim(str(feed), int(attempts)) for feed, attempts in rows]


def sent(conn: sqlite3.Connection, sink: str, feed: str, claimed_us: int, lease: float) -> None:
    """Delete the claimed row, unless a newer change moved its due time off the lease's end."""
    with transaction(conn):
        conn.execute(
            "DELETE FROM outbox WHERE sink = ? AND feed = ? AND due_us = ?",
            (sink, feed, claimed_us + int(lease * _MICRO)),
        )


def failed(
    conn: sqlite3.Connection,
    sink: str,
    feed: str,
    claimed_us: int,
    lease: float,
    retry_us: int,
    error: str,
) -> None:
    """Count an attempt; due at ``retry_us``, or sooner if a newer change asked for sooner."""
    with transaction(conn):
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, claimed = 0,"
            " due_us = CASE WHEN due_us = ? THEN ? ELSE min(due_us, ?) END"
            " WHERE sink = ? AND feed = ?",
            (error[:500], claimed_us + int(lease * _MICRO), retry_us, retry_us, sink, feed),
        )
