"""A consistent copy of a live store, with SQLite's online backup API.

The copy is read in one read transaction on a connection of its own: in WAL
mode that is a snapshot of the last commit before it began, which writers
(a server's API, an import) never wait for, and which no later commit
changes. It is written beside the target and renamed into place once
complete and synced, so the target is either absent or a whole store.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from store.errors import StoreError
from store.sqlite.connection import connect


def backup(source: Path, target: Path) -> None:
    """Copy the store at ``source`` to the new file ``target`` (which must not exist)."""
    if target.exists():
        raise StoreError(f"{target} exists already: a backup never overwrites a file")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with (
            contextlib.closing(connect(source, readonly=True)) as reader,
            contextlib.closing(sqlite3.connect(partial, isolation_level=None)) as copy,
        ):
            reader.backup(copy)  # all pages in one step: one snapshot
            copy.execute("PRAGMA journal_mode = DELETE")  # one file, whole, no -wal beside it
        with open(partial, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as error:
        partial.unlink(missing_ok=True)
        raise StoreError(f"cannot back up {source} to {target}: {error}") from error
