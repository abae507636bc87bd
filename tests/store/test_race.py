"""Start-up race: several processes opening one new store at the same instant.

Every server worker and ``nashra import`` opens the store when it starts, so
on a first deployment they create, switch to WAL and migrate one fresh file
together. Each must come up on the same store; the file must end with the
latest schema and one identity.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import IO

from store.sqlite.schema import schema_version
from store.sqlite.store import SQLiteStore

PROCESSES = 8


def test_processes_opening_one_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    opener = f"from {__name__} import open_on_signal; open_on_signal()"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", opener, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        for _ in range(PROCESSES)
    ]
    try:
        # a barrier: every child has started and imported, then all are let go at once
        assert [_pipes(child)[1].readline() for child in children] == ["ready\n"] * PROCESSES
        for child in children:
            _pipes(child)[0].write("go\n")
            _pipes(child)[0].flush()
        outcomes = [child.communicate(timeout=30)[0].strip() for child in children]
    finally:
        for child in children:
            child.kill()
            child.wait()

    assert not [o for o in outcomes if not o.startswith("ok ")], outcomes
    with sqlite3.connect(path) as conn:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        ids = [row[0] for row in conn.execute("SELECT value FROM meta WHERE key = 'store_id'")]
    assert version == schema_version()
    assert mode == "wal"
    assert len(ids) == 1
    assert set(outcomes) == {f"ok {ids[0]}"}


def _pipes(child: subprocess.Popen[str]) -> tuple[IO[str], IO[str]]:
    assert child.stdin is not None and child.stdout is not None
    return child.stdin, child.stdout


def open_on_signal() -> None:
    """In a child process: say ready, open the store when told, print its id or the error."""
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        print("ok", asyncio.run(_open_and_close(Path(sys.argv[1]))))
    except Exception as error:
        print("error", repr(error))


async def _open_and_close(path: Path) -> str:
    store = await SQLiteStore.open(path)
    await store.close()
    return store.store_id
