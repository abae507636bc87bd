"""Real store failures, made from outside the app as a failing disk or a careless tool would."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path


def corrupt_store(path: Path) -> None:
    """Overwrite the store file's header, so that every later read fails: "not a database".

    The write-ahead log is first checkpointed into the file and emptied, so
    no connection can keep answering from it; connections already open stay
    open, and their next read fails.
    """
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with path.open("r+b") as file:
        file.write(b"this is no longer a database".ljust(100, b"\0"))
