"""The server's processes, read from /proc: its workers, their ages and their resident memory."""

from __future__ import annotations

import contextlib
from pathlib import Path

PROC = Path("/proc")
ESTABLISHED = "01"  # a TCP state in /proc/net/tcp


def workers(master: int) -> list[int]:
    """The worker processes of ``master``: its children that multiprocessing spawned.

    Matching ``spawn_main`` in the command line leaves out any helper the
    master might start (multiprocessing's resource tracker).
    """
    found = []
    for stat in PROC.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != master:
                continue
            command = (stat.parent / "cmdline").read_bytes()
            if b"spawn_main" in command:
                found.append(int(stat.parent.name))
    return found


def started(pid: int) -> int:
    """When ``pid`` started, in clock ticks since boot (0 if it is gone): to tell its age."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19])
    return 0


def rss_kib(pid: int) -> int | None:
    """VmRSS of ``pid`` in KiB; None once it is gone."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def serving(workers: list[int], port: int, peer: str) -> int | None:
    """The worker holding the server's end of a connection from address ``peer`` to ``port``.

    Read from /proc/net/tcp (the established connections, with their
    socket's inode) and each worker's open files (``socket:[inode]``).
    """
    wanted = "".join(f"{int(part):02X}" for part in reversed(peer.split(".")))
    inodes = set()
    with contextlib.suppress(OSError):
        for line in (PROC / "net" / "tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            from_peer = remote.split(":")[0] == wanted
            if state == ESTABLISHED and from_peer and int(local.split(":")[1], 16) == port:
                inodes.add(f"socket:[{inode}]")
    for pid in workers:
        with contextlib.suppress(OSError):
            for fd in (PROC / str(pid) / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if fd.readlink().as_posix() in inodes:
                        return pid
    return None
