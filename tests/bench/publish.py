"""``nashra publish``: the time to write every feed, and what ``--watch`` costs while idle.

Three runs on the imported store: into an empty directory (every file
written), again (every file compared, none written), and ``--watch`` left
idle for :data:`IDLE_S` seconds after its first round, its CPU time read from
``/proc/PID/stat`` (user + system) before and after.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

IDLE_S = 10.0
SETTLE_S = 1.0  # after the first round, before the idle measurement starts
#: the end of publish's line: ``…, 96 files written, 12 unchanged, 0.41 s``
SUMMARY = re.compile(r"(?P<written>\d+) files written, (?P<unchanged>\d+) unchanged, "
                     r"(?P<seconds>[\d.]+) s$", re.MULTILINE)  # fmt: skip


class PublishFailed(RuntimeError):
    """``nashra publish`` exited with an error, printed no summary, or did not start."""


@dataclass(frozen=True, slots=True)
class PublishRun:
    files_written: int
    files_unchanged: int
    seconds: float  # by publish's own count: the round, without start-up
    wall_s: float  # the whole command: start-up, store opening, the round


@dataclass(frozen=True, slots=True)
class PublishResult:
    first: PublishRun  # into an empty directory
    again: PublishRun  # the same store again: nothing to write
    site_mib: float
    idle_cpu_percent: float  # --watch, idle, of one CPU
    idle_s: float


def measure_publish(nashra: Path, config: Path, db: Path, work: Path) -> PublishResult:
    site = work / "site"
    first = _publish(nashra, config, db, site)
    again = _publish(nashra, config, db, site)
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    idle = _idle_cpu(nashra, config, db, site, work / "publish-watch.log")
    return PublishResult(first, again, size / 2**20, idle, IDLE_S)


def _publish(nashra: Path, config: Path, db: Path, site: Path) -> PublishRun:
    argv = [str(nashra), "publish", str(site), "--config", str(config), "--db", str(db)]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - started
    match = SUMMARY.search(done.stdout)
    if done.returncode or match is None:
        raise PublishFailed(f"nashra publish exited {done.returncode}: {done.stderr.strip()}")
    return PublishRun(int(match["written"]), int(match["unchanged"]), float(match["seconds"]), wall)


def _idle_cpu(nashra: Path, config: Path, db: Path, site: Path, log: Path) -> float:
    """The CPU share (% of one CPU) ``nashra publish --watch`` takes with nothing to publish."""
    argv = [str(nashra), "publish", str(site), "--watch", "--config", str(config), "--db", str(db)]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "published" not in log.read_text(encoding="utf-8", errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise PublishFailed(f"nashra publish --watch did not start: {log.read_text()}")
            time.sleep(0.05)
        time.sleep(SETTLE_S)
        before, started = _cpu_seconds(process.pid), time.monotonic()
        time.sleep(IDLE_S)
        used, elapsed = _cpu_seconds(process.pid) - before, time.monotonic() - started
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return 100 * used / elapsed


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process so far (fields 14 and 15 of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")
