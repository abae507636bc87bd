"""The trouble the soak makes on schedule: SIGKILL to a worker, the hub down, an import.

The worker killed is always the younger of the two: the elder lives through
the whole run, so that its memory is watched from start to end (a leak
shows there), and the other slot is killed and restarted again and again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.soak import processes
from tests.soak.writer import ADDRESS
from tests.support.hub import Hub
from tests.support.live import LiveServer

RESTART_TIMEOUT = 30.0  # seconds for the master to replace a killed worker
WAIT_FOR_WRITE = 3.0  # seconds a kill waits for the worker to be serving a write


@dataclass(frozen=True, slots=True)
class Kill:
    pid: int
    at: float  # monotonic
    restarted_after: float | None  # seconds until a new worker had started; None if none did


@dataclass(slots=True)
class Trouble:
    """What happened: the kills, the hub's outage (monotonic moments), the import's result."""

    kills: list[Kill] = field(default_factory=list)
    hub_down: float | None = None
    hub_up: float | None = None
    import_code: int | None = None
    import_line: str = ""
    import_seconds: float = 0.0
    import_window: tuple[float, float] | None = None


async def kill_a_worker(
    server: LiveServer, workers: int, writing: asyncio.Event, trouble: Trouble
) -> None:
    """SIGKILL the younger worker, then wait for the master to have ``workers`` started again.

    The kill waits (up to :data:`WAIT_FOR_WRITE` s) for a moment the younger
    worker is serving a write: the CMS then never hears whether it was
    written, the hardest case for "every acknowledged write is kept".
    """
    alive = processes.workers(server.pid)
    if len(alive) < workers:
        return  # still replacing the last one: not a fair moment
    victim = max(alive, key=processes.started)
    port = int(server.url.rsplit(":", 1)[1])
    deadline = time.monotonic() + WAIT_FOR_WRITE
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(writing.wait(), deadline - time.monotonic())
        await asyncio.sleep(0.002)  # the request on its way
        if processes.serving([victim], port, ADDRESS) == victim:
            break
        while writing.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
    started_before = server.started()
    os.kill(victim, signal.SIGKILL)
    at = time.monotonic()
    restarted = await _restarted(server, started_before + 1, at)
    trouble.kills.append(Kill(victim, at, restarted))


async def _restarted(server: LiveServer, started: int, since: float) -> float | None:
    """Seconds until the log counts ``started`` worker start-ups; None after the timeout."""
    while time.monotonic() - since < RESTART_TIMEOUT:
        if server.started() >= started:
            return time.monotonic() - since
        await asyncio.sleep(0.05)
    return None


async def hub_outage(hub: Hub, down_for: float, trouble: Trouble) -> None:
    """Close the hub's port for ``down_for`` seconds (connections refused), then reopen it."""
    await asyncio.to_thread(hub.stop)
    trouble.hub_down = time.monotonic()
    await asyncio.sleep(down_for)
    await asyncio.to_thread(hub.start)
    trouble.hub_up = time.monotonic()


async def run_import(config: Path, records: Path, trouble: Trouble) -> None:
    """``nashra import`` of ``records`` into the served store, as a command run beside it."""
    start = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "feeds.cli", "import", "--config", str(config), str(records),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    trouble.import_code = process.returncode
    lines = (out.decode() + err.decode()).strip().splitlines()
    trouble.import_line = lines[-1] if lines else "(no output)"
    trouble.import_seconds = time.monotonic() - start
    trouble.import_window = (start, time.monotonic())
