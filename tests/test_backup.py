"""``nashra backup``: a consistent copy of a live store, from which the same feeds are served."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.config.loader import load_settings
from feeds.formats.registry import FORMATS
from tests.support.builders import mixed_records, record
from tests.support.commands import ImportRecords, Nashra
from tests.support.live import Serve

NOW = 1_796_000_000.0  # both apps serve at one moment: feeds' bytes depend on it


def served(config: Path, db: Path) -> dict[str, tuple[bytes, str]]:
    """Every feed in every format, with its ETag, from the store at ``db``."""
    app = create_app(load_settings(config, db=db), clock=lambda: NOW)
    with TestClient(app, base_url="https://news.example") as client:
        return {
            path: (response.content, response.headers["etag"])
            for key in app.specs
            for fmt in FORMATS
            if (response := client.get(path := f"/feeds/{key}.{fmt.extension}"))
        }


def test_a_backup_of_a_served_store_serves_the_same_feeds(
    config_file: Path, nashra: Nashra, import_records: ImportRecords, serve: Serve, tmp_path: Path
) -> None:
    assert import_records(mixed_records(40)).code == 0
    copy = tmp_path / "copy.db"
    with serve():  # a server holds the store open meanwhile
        run = nashra("backup", str(copy))
    assert (run.code, run.err) == (0, ""), run.err
    assert run.out.startswith("backed up ")
    assert not Path(f"{copy}-wal").exists()  # one whole file, restorable by a copy
    original = served(config_file, load_settings(config_file).store.path)
    assert served(config_file, copy) == original  # the same bytes and the same ETags


def test_a_backup_during_an_import_holds_all_of_it_or_none(
    config_file: Path, nashra: Nashra, tmp_path: Path
) -> None:
    records = [record(i, updated=None, content=None, image=None) for i in range(6000)]
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    log = tmp_path / "import.log"
    with log.open("wb") as errors:
        importing = subprocess.Popen(
            [sys.executable, "-m", "feeds.cli", "import", str(path), "--config", str(config_file)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    counts = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            done = importing.poll() is not None  # then one more copy, of the finished import
            copy = tmp_path / f"copy-{len(counts)}.db"
            if nashra("backup", str(copy)).code == 0:  # the store may not exist yet
                with contextlib.closing(sqlite3.connect(copy)) as conn:
                    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                    counts.append(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
            if done:
                break
            time.sleep(0.02)
    finally:
        assert importing.wait(timeout=60) == 0, log.read_text()
    assert set(counts) <= {0, 6000}  # each copy holds the whole import or none of it
    assert counts[-1] == 6000


def test_a_backup_never_overwrites_a_file(nashra: Nashra, tmp_path: Path) -> None:
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"precious")
    run = nashra("backup", str(existing))
    assert run.code == 2
    assert len(run.err.splitlines()) == 1 and "exists already" in run.err
    assert existing.read_bytes() == b"precious"
