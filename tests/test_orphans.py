"""No orphans: a server's workers and an import's helpers end with the process that started them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.builders import record
from tests.support.live import free_port

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's prctl")


def children(pid: int) -> set[int]:
    """The live child processes of ``pid``."""
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.update(int(child) for child in text.split())
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def within(seconds: float, check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def serving(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_a_killed_master_takes_its_workers_and_a_restart_serves(
    config_file: Path, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "feeds.cli", "serve", "--config", str(config_file),
               "--port", str(port), "--workers", "2"]  # fmt: skip
    with (tmp_path / "first.log").open("wb") as log:
        master = subprocess.Popen(command, stdout=log, stderr=log)
    try:
        assert within(20, lambda: serving(url) and len(children(master.pid)) >= 2)
        workers = {pid for pid in children(master.pid) if alive(pid)}
        master.send_signal(signal.SIGKILL)
        master.wait()
        assert within(5, lambda: not any(alive(pid) for pid in workers)), workers
    finally:
        master.kill()
    with (tmp_path / "second.log").open("wb") as log:
        again = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    try:
        assert within(20, lambda: serving(url)), (tmp_path / "second.log").read_text()
    finally:
        os.killpg(again.pid, signal.SIGTERM)
        again.wait(timeout=10)


def test_a_killed_import_takes_its_validation_processes(config_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(40_000):
            out.write(json.dumps(record(i), ensure_ascii=False) + "\n")
    command = [sys.executable, "-m", "feeds.cli", "import", str(path), "--config", str(config_file)]
    importing = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert within(20, lambda: len(children(importing.pid)) >= 2)  # validation under way
        helpers = {pid for pid in children(importing.pid) if alive(pid)}
        importing.send_signal(signal.SIGKILL)
        importing.wait()
        assert within(5, lambda: not any(alive(pid) for pid in helpers)), helpers
    finally:
        importing.kill()
