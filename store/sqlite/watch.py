"""Noticing that another connection, in any process, committed to the store.

``PRAGMA data_version`` (https://www.sqlite.org/pragma.html#pragma_data_version)
changes whenever another connection commits; asking costs a few microseconds
and no I/O in WAL mode, which reads the answer from the shared WAL index.

Reading that WAL-index header directly from the ``-shm`` file would be about
forty times cheaper, and nashra did so at first, but it cannot be done
safely from Python: opening and closing any descriptor of the ``-shm`` file
(an ``mmap`` closes its own) drops every POSIX lock this process holds on
it, SQLite's included, and another process may then reset the file under a
live connection (seen here as SIGBUS in a commit).
"""

from __future__ import annotations

import sqlite3

from store.errors import StoreError


class CommitWatch:
    """``changed()`` is true once after each commit by any other connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._cursor = conn.cursor()
        self._seen = self._current()

    def changed(self) -> bool:
        current = self._current()
        if current == self._seen:
            return False
        self._seen = current
        return True

    def close(self) -> None:
        connection = self._cursor.connection
        self._cursor.close()
        connection.close()

    def _current(self) -> int:
        try:
            self._cursor.execute("PRAGMA data_version")
            return int(self._cursor.fetchone()[0])
        except sqlite3.Error as error:  # translated at the store's edge, as every read is
            raise StoreError(f"watching the store for commits failed: {error}") from error
