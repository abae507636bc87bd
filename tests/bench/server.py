"""``nashra serve`` as a subprocess in its own process group: started, watched, always stopped.

The server runs in a new session, so its process group holds the server and
every worker it forks; stopping it signals the whole group (SIGTERM, then
SIGKILL after a grace period), and its peak memory is summed over the group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.bench.client import get

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
POLL_S = 0.05
#: What a log line of trouble starts with: uvicorn's levels above INFO.
TROUBLE = ("WARNING", "ERROR", "CRITICAL")


class ServerFailed(RuntimeError):
    """The server exited, or did not answer ``/healthz`` in time."""


@dataclass(frozen=True, slots=True)
class ServeCommand:
    """How to start the server; ``cpus`` pins it with taskset when not empty."""

    nashra: Path
    config: Path
    db: Path
    workers: int
    cpus: str = ""

    def argv(self, port: int) -> list[str]:
        pin = ["taskset", "-c", self.cpus] if self.cpus else []
        return [
            *pin, str(self.nashra), "serve", "--config", str(self.config), "--db", str(self.db),
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(self.workers),
        ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class RunningServer:
    port: int
    pid: int
    startup_ms: float

    def peak_rss_mib(self) -> float:
        """VmHWM summed over the server's process group (the server and its workers)."""
        return sum(_vmhwm_kib(pid) for pid in _group(self.pid)) / 1024

    def processes(self) -> int:
        return len(_group(self.pid))


@contextlib.contextmanager
def serve(command: ServeCommand, log: Path) -> Iterator[RunningServer]:
    """Start the server on a free loopback port, yield once ``/healthz`` answers, stop it."""
    port = free_port()
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(
            command.argv(port), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_healthy(process, port, log)
        yield RunningServer(port, process.pid, (time.perf_counter() - started) * 1000)
    finally:
        _stop(process)


def trouble(log: Path) -> list[str]:
    """The lines of a server log that report errors or warnings, and each traceback's last."""
    found = []
    in_traceback = False
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            found.append(line)
            in_traceback = False
        elif line.startswith(TROUBLE):
            found.append(line)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"nashra serve exited {process.returncode}: {_tail(log)}")
        with contextlib.suppress(OSError):
            if get(port, "/healthz", timeout=1).status == 200:
                return
        time.sleep(POLL_S)
    raise ServerFailed(f"no 200 from /healthz within {START_TIMEOUT_S:.0f} s: {_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the group, SIGKILL to whatever is left of it after the grace period."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _group(pgid: int) -> list[int]:
    """Every live process whose process group is ``pgid``, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                members.append(int(stat.parent.name))
    return members


def _vmhwm_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _tail(log: Path, lines: int = 3) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "(no output)"
