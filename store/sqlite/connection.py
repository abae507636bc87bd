"""Opening the store's SQLite connections, and the write transaction they share.

Every process that serves or imports opens the store when it starts, so on a
first deployment several open one new file at the same instant. Switching
that file to WAL needs an exclusive lock, and SQLite returns "database is
locked" for it at once, without waiting out ``busy_timeout``, when another
connection holds a shared lock it cannot drop (a reader that would deadlock
by waiting). So the switch is retried here, for a bounded time.

A writable connection commits with ``synchronous = FULL``: the WAL is synced
to disk at every commit, so a write nashra acknowledged survives a power
loss, not only a process crash (NORMAL, in WAL mode, may lose the last
commits to a power loss). Measured on this project's 20,000-article import
(10 transactions) and one-article writes, it costs nothing visible to the
import and about 0.3 to 0.8 ms per write (one fsync); an API POST of one
article through ``nashra serve`` went from 1.4-1.5 ms to 1.7 ms (median).
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import time
from pathlib import Path

BUSY_TIMEOUT = 10.0  # seconds any statement waits for another connection's lock
#: Bytes per page of a new store (SQLite's default is 4096). An article row is 2-3 KB, so a
#: 4 KiB page holds one and wastes the rest; 16 KiB pages hold five or six. Measured on a
#: 20,000-article import: the store 73 -> 56 MB, publishing 0.45 -> 0.30 s; a one-article
#: write 0.4 -> 0.5 ms (more bytes per page in the WAL). A store keeps the size it was made with.
PAGE_SIZE = 16384
_FIRST_PAUSE = 0.001  # seconds before retrying the WAL switch; doubled up to _MAX_PAUSE
_MAX_PAUSE = 0.05


def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """A connection in autocommit mode; a writable one switched to WAL with foreign keys on."""
    uri = f"file:{path}?mode={'ro' if readonly else 'rwc'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        if not readonly:
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before the first write, or nothing
            _switch_to_wal(conn, time.monotonic() + BUSY_TIMEOUT)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def _switch_to_wal(conn: sqlite3.Connection, deadline: float) -> None:
    """``PRAGMA journal_mode = WAL``, retried while another connection holds the file.

    Retries only "busy" (another connection's lock), with a short, growing,
    jittered pause so that colliding openers do not retry in step; any other
    error, or still busy at ``deadline`` (a monotonic time), is raised.
    """
    pause = _FIRST_PAUSE
    while True:
        try:
            (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, _MAX_PAUSE)
            continue
        if mode != "wal":  # SQLite answers with the mode it kept, without an error
            raise sqlite3.OperationalError(f"cannot switch the store to WAL; it stays in {mode}")
        return


class transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any error.

    Immediate, so the write lock is taken before the first read: what a
    transaction reads (an article's stored state, the schema version) cannot
    change before it writes.

    Within another ``transaction`` it does nothing: the outer one commits
    or rolls back the whole, so several writes can make one transaction.

    Some errors (a full disk, out of memory, an I/O error) make SQLite roll
    the transaction back by itself; a ``ROLLBACK`` then fails with "cannot
    rollback - no transaction is active", which used to replace the error
    that mattered. So the rollback is only issued while a transaction is
    open, and a failing one never hides the error that caused it. A failed
    ``COMMIT`` (a full disk again) leaves the transaction open: it is rolled
    back too, so the connection is usable afterwards.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.outer = False

    def __enter__(self) -> None:
        self.outer = not self.conn.in_transaction
        if self.outer:
            self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        if not self.outer:
            return
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self._roll_back()
                raise
        else:
            self._roll_back()

    def _roll_back(self) -> None:
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # the error being raised says more
                self.conn.execute("ROLLBACK")
