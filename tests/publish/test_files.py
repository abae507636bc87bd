"""Replacing published files: whole or not at all, never for the same bytes, always newer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from feeds.publish.files import remove_abandoned, replace_if_changed


def test_a_new_version_is_dated_after_the_one_it_replaces(tmp_path: Path) -> None:
    """nginx's ETag is the time in seconds and the size: two versions must not share both."""
    path = tmp_path / "all.rss"
    assert replace_if_changed(path, b"version 1", mtime=1_800_000_000)
    assert not replace_if_changed(path, b"version 1", mtime=1_800_000_500)  # same bytes: kept
    assert path.stat().st_mtime == 1_800_000_000
    assert replace_if_changed(path, b"version 2", mtime=1_800_000_000)  # same second, same size
    assert path.read_bytes() == b"version 2"
    assert path.stat().st_mtime == 1_800_000_001
    assert replace_if_changed(path, b"version 3", mtime=1_800_000_100)
    assert path.stat().st_mtime == 1_800_000_100


def test_what_a_dead_publisher_was_writing_is_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    abandoned = tmp_path / f".all.rss.{dead.stdout.strip()}.tmp"
    being_written = tmp_path / f".all.atom.{os.getpid()}.tmp"  # a live publisher's
    for path in (abandoned, being_written):
        path.write_bytes(b"half")
    remove_abandoned(tmp_path)
    assert not abandoned.exists()
    assert being_written.exists()
