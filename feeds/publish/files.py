"""Replacing a published file so that no reader ever sees half of it.

Each file is written beside its final name, synced to disk and renamed over
it: ``rename(2)`` swaps the name in one step, so a reader opens either the
old file whole or the new one whole (nginx, which opens a file per request,
included). A file whose bytes are already there is left alone, so its
modification time, hence nginx's ``ETag`` and ``Last-Modified``, stays.

nginx's validators are the file's modification time in whole seconds and
its size: two versions written within one second with the same size would
share an ETag. So a replacement's time is never earlier than the second
after the one it replaces (:func:`replace_if_changed`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

#: a file being written is ``.{name}.{pid}.tmp`` beside ``name``: hidden, and whose it is
TEMPORARY = ".{name}.{pid}.tmp"


def replace_if_changed(path: Path, data: bytes, mtime: int | None = None) -> bool:
    """Make ``path`` hold ``data``, atomically; False if it held it already.

    ``mtime`` (seconds) is the modification time to give a new version
    (default: now), moved on to the second after the old version's if that
    is not later. The directory is not synced here: see :func:`sync_directory`.
    """
    try:
        old = path.stat()
    except FileNotFoundError:
        old = None
    if old is not None and old.st_size == len(data) and path.read_bytes() == data:
        return False
    temporary = path.with_name(TEMPORARY.format(name=path.name, pid=os.getpid()))
    try:
        with temporary.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if mtime is not None or old is not None:
            when = int(os.stat(temporary).st_mtime) if mtime is None else mtime
            if old is not None:
                when = max(when, int(old.st_mtime) + 1)
            os.utime(temporary, (when, when))
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return True


def sync_directory(directory: Path) -> None:
    """Sync ``directory``'s entries to disk: the renames in it survive a power loss."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_abandoned(directory: Path) -> None:
    """Remove the temporary files of publishers that died mid-write (their process is gone)."""
    for candidate in directory.glob(".*.tmp"):
        pid = candidate.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
