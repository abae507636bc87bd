"""Real store failures, made from outside the app as a failing disk or a careless tool would."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


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


def foreign_sqlite_file(path: Path) -> None:
    """Another program's SQLite database at ``path``: a table and a row of its own."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        conn.execute("INSERT INTO notes (body) VALUES ('not yours')")


def bump_schema(path: Path) -> int:
    """Make the store at ``path`` look written by a newer nashra; the version it now has."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        conn.execute(f"PRAGMA user_version = {version + 1}")
    return int(version) + 1


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` (a file or a directory) made read-only for this process while the block runs.

    As root, mode bits stop nothing, so the file is made immutable (``chattr
    +i``, which root obeys); where that is not allowed either, the test is
    skipped, saying why.
    """
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"running as root, and chattr +i failed: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
