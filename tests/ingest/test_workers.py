"""The validation workers: forked when that is safe, so an import starts at once.

Each case runs in a fresh interpreter, which has one thread until the case
starts another (the test runner's own process may run threads of its own).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

#: Prints what a worker sees of a value the importing process changed after start-up: a
#: forked worker sees the change, a spawned one (a new interpreter) the value as imported.
CASE = """
import threading
from feeds.ingest import pipeline


def seen() -> str:
    return getattr(pipeline, "CHANGED_AFTER_START", "as imported")


if __name__ == "__main__":  # a spawned worker imports this file again, without this part
    pipeline.CHANGED_AFTER_START = "changed"
    release = threading.Event()
    if {other_thread}:
        threading.Thread(target=release.wait, daemon=True).start()
    with pipeline.validation_workers({count}) as workers:
        print(workers.pool.submit(seen).result() if workers else "no workers")
    release.set()
"""


def worker_sees(tmp_path: Path, *, other_thread: bool, count: int = 2) -> str:
    script = tmp_path / "case.py"
    script.write_text(textwrap.dedent(CASE.format(other_thread=other_thread, count=count)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_workers_are_forked_from_a_process_with_one_thread(tmp_path: Path) -> None:
    assert worker_sees(tmp_path, other_thread=False) == "changed"


def test_workers_are_spawned_once_another_thread_runs(tmp_path: Path) -> None:
    assert worker_sees(tmp_path, other_thread=True) == "as imported"


def test_one_cpu_validates_in_the_importing_process(tmp_path: Path) -> None:
    assert worker_sees(tmp_path, other_thread=False, count=1) == "no workers"
