"""A real ``nashra serve`` in a subprocess, on a free loopback port, always stopped.

The server writes its log to a file (a pipe nobody reads would block it once
full). :func:`live_server` yields only when every worker process has logged
uvicorn's "Application startup complete." and ``/healthz`` answers, so no
request lands on a worker still starting; when the server fails to start, or
the block raises (a failing test), the error carries the log's last lines.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

#: what uvicorn logs once per worker process when the app's lifespan has started
STARTED = "Application startup complete."
TAIL_LINES = 40


class ServerFailed(RuntimeError):
    """``nashra serve`` exited, or did not start in time; the message ends with its log."""


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A running ``nashra serve``: its base URL, its log file and its process (group) id."""

    url: str
    log: Path
    pid: int

    def started(self) -> int:
        """How many worker processes have logged that their start-up is complete."""
        return _started(self.log)


#: the ``serve`` fixture: ``with serve(workers=2) as server:``
Serve = Callable[..., AbstractContextManager[LiveServer]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    config: Path,
    *,
    workers: int = 1,
    log_dir: Path | None = None,
    start_timeout: float = 20.0,
    stop_timeout: float = 10.0,
) -> Iterator[LiveServer]:
    """Run ``nashra serve`` until the block ends, with every worker started.

    The log goes to ``serve-N.log`` in ``log_dir`` (a new temporary directory
    when None, kept for a look after a failure).
    """
    log = _log_file(log_dir or Path(tempfile.mkdtemp(prefix="nashra-serve-")))
    port = free_port()
    command = [sys.executable, "-m", "feeds.cli", "serve", "--config", str(config),
               "--port", str(port), "--workers", str(workers)]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log, workers, start_timeout)
        try:
            yield LiveServer(base, log, process.pid)
        except BaseException as error:
            error.add_note(_tail(log, "while the server ran"))
            raise
    finally:
        _stop(process, stop_timeout)


def _log_file(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    number = 1
    while (directory / f"serve-{number}.log").exists():
        number += 1
    return directory / f"serve-{number}.log"


def _wait_ready(
    base: str, process: subprocess.Popen[bytes], log: Path, workers: int, timeout: float
) -> None:
    """Return once ``workers`` workers have started and ``/healthz`` says 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        exited = _exit_status(process.pid)
        if exited is not None:
            raise ServerFailed(_tail(log, f"nashra serve exited {exited}"))
        if _started(log) >= workers and _healthy(base):
            return
        time.sleep(0.05)
    raise ServerFailed(
        _tail(log, f"{_started(log)} of {workers} workers started within {timeout:g} s")
    )


def _started(log: Path) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count(STARTED)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _tail(log: Path, what: str) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[-TAIL_LINES:]
    return f"{what}; the last {len(lines)} lines of {log}:\n" + "\n".join(lines)


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM to the server's process group, SIGKILL if it is not gone in ``timeout`` s.

    The server is reaped last: until then its id, which is the group's, cannot
    be reused, so the final SIGKILL reaches only a worker left behind.
    """
    _signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _exit_status(process.pid) is None:
        if time.monotonic() > deadline:
            _signal_group(process.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    _signal_group(process.pid, signal.SIGKILL)
    process.wait()


def _exit_status(pid: int) -> int | None:
    """Its exit code (minus the signal that killed it) once it has exited, else None.

    The process is left to be reaped (``WNOWAIT``).
    """
    info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    if info is None:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # no process is left in the group
        os.killpg(pgid, signum)
