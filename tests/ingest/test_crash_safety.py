"""A killed or failing ``nashra import`` makes nothing visible; running it again completes it.

Each test runs real ``nashra import`` processes against a real SQLite file.
To kill an import at a chosen point without any hook in nashra, the test
takes the write locks of the store and of the import's staging file itself
(``BEGIN IMMEDIATE``) between looks at them: while the test holds them the
import cannot commit anything, so what the test sees under the locks
(whether its staging file exists, how many articles it staged, whether it
published) is exactly the state the import dies in when the test sends
``SIGKILL`` before letting go.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from feeds.ingest.sources.jsonl import CHUNK_LINES
from tests.support.builders import record
from tests.support.commands import Nashra
from tests.support.config import MakeConfig, token
from tests.support.live import Serve
from tests.test_backup import served
from tests.test_orphans import children

TOKEN = "crash-test-token"
FIRST = 20  # articles stored before the import that is killed
TOTAL = 8 * CHUNK_LINES  # records of that import: FIRST of them update stored ones


@dataclass(frozen=True)
class Frozen:
    """The store, and the running import's staging file if it has one, both write-locked."""

    store: sqlite3.Connection
    staging: sqlite3.Connection | None


#: a condition on the import, looked at under the test's write locks
Condition = Callable[[Frozen], bool]


@pytest.fixture
def config_file(make_config: MakeConfig) -> Path:
    """A hub (never reached: no server sends meanwhile) so imports queue outbox changes."""
    return make_config(websub={"hub": "http://127.0.0.1:9/hub"}, tokens=[token("cms", TOKEN)])


@pytest.fixture
def db(config_file: Path) -> Path:
    return config_file.parent / "nashra.db"


def write_records(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """The first import's file, and the one killed: it updates the first's articles."""
    first = write_records(tmp_path / "first.jsonl", [record(i) for i in range(FIRST)])
    second = write_records(
        tmp_path / "second.jsonl",
        [
            record(i, title=f"عنوان {i}", updated="2026-11-02T09:00:00+03:00")
            if i < FIRST
            else record(i)
            for i in range(TOTAL)
        ],
    )
    return first, second


def start_import(config: Path, path: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as errors:
        return subprocess.Popen(
            [sys.executable, "-m", "feeds.cli", "import", str(path), "--config", str(config)],
            stdout=errors,
            stderr=subprocess.STDOUT,
        )


@contextlib.contextmanager
def write_locked(db: Path) -> Iterator[sqlite3.Connection]:
    """The store's write lock, held by the test for the block: no import commits meanwhile."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


@contextlib.contextmanager
def frozen(db: Path) -> Iterator[Frozen]:
    """The write locks of the store and of the import's staging file (once it has one)."""
    with write_locked(db) as store:
        files = staging_files(db)
        if not files:
            yield Frozen(store, None)
            return
        with write_locked(files[0]) as staging:
            yield Frozen(store, staging)


def kill_when(
    importing: subprocess.Popen[bytes],
    db: Path,
    condition: Condition,
    signum: signal.Signals = signal.SIGKILL,
) -> None:
    """Send ``signum`` to the import as soon as ``condition`` holds, in the state the test saw.

    A SIGKILL'ed import is waited for under the locks: it dies in that state.
    Another signal is handled by the import, which needs the locks to go on.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert importing.poll() is None, "the import ended before the point to signal it at"
        if db.exists():
            with frozen(db) as state:
                if _has_tables(state) and condition(state):
                    os.kill(importing.pid, signum)
                    if signum == signal.SIGKILL:
                        importing.wait(timeout=30)
                    return
        time.sleep(0.002)
    raise AssertionError("the point to signal the import at never came")


def _has_tables(state: Frozen) -> bool:
    """Whether the store, and the staging file if any, are made yet."""
    return all(
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        for conn in (state.store, state.staging)
        if conn is not None
    )


def staging_files(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f"{db.name}-import-*.staged"))


def registered(state: Frozen) -> bool:
    return state.staging is not None


def staged(state: Frozen) -> int:
    assert state.staging is not None
    return int(state.staging.execute("SELECT count(*) FROM staged").fetchone()[0])


def articles(state: Frozen) -> int:
    return int(state.store.execute("SELECT count(*) FROM articles").fetchone()[0])


def staged_now(db: Path) -> int:
    """How many articles the running import staged so far (0 before its file is made)."""
    files = staging_files(db)
    if not files:
        return 0
    try:
        return int(look(files[0], "SELECT count(*) FROM staged")[0][0])
    except sqlite3.OperationalError:  # made, but its table not yet
        return 0


def look(db: Path, query: str) -> list[tuple[object, ...]]:
    """Read the store without opening it as nashra does (which removes leftovers)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return conn.execute(query).fetchall()


def lock_files(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f"{db.name}-import-*"))


KILL_POINTS: dict[str, Condition] = {
    # the test holds the locks as soon as the staging file is made: nothing is staged yet
    "while validating": lambda state: registered(state) and staged(state) == 0,
    "while staging": lambda state: registered(state) and 2 * CHUNK_LINES <= staged(state) < TOTAL,
    "right before publishing": lambda state: registered(state) and staged(state) == TOTAL,
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_an_import_killed_before_publishing_shows_nothing_and_completes_when_run_again(
    point: str,
    config_file: Path,
    db: Path,
    files: tuple[Path, Path],
    nashra: Nashra,
    tmp_path: Path,
) -> None:
    first, second = files
    assert nashra("import", str(first)).code == 0
    with write_locked(db) as conn:  # as if the outbox had sent them: the test sees new ones
        conn.execute("COMMIT")
        conn.execute("DELETE FROM outbox")
        conn.execute("BEGIN")
    before = served(config_file, db)

    kill_when(start_import(config_file, second, tmp_path / "killed.log"), db, KILL_POINTS[point])

    assert look(db, "SELECT count(*) FROM outbox") == [(0,)]  # no ping will be sent
    assert look(db, "SELECT count(*) FROM articles") == [(FIRST,)]
    assert lock_files(db)  # the dead import's, until the next start
    if point != "while validating":
        assert staged_now(db) > 0
    assert served(config_file, db) == before  # every feed, every format: the same bytes, ETags
    assert lock_files(db) == []  # opening removed the staging file, and the lock file

    again = nashra("import", str(second))
    assert again.code == 0, again.err
    assert again.out.startswith(f"added {TOTAL - FIRST}, updated {FIRST}, unchanged 0, stale 0,")
    assert lock_files(db) == []
    assert {feed for (feed,) in look(db, "SELECT feed FROM outbox")} >= {"all", "politics"}


def test_an_interrupted_import_shows_nothing_and_leaves_nothing_behind(
    config_file: Path, db: Path, files: tuple[Path, Path], nashra: Nashra, tmp_path: Path
) -> None:
    """SIGINT to the importer alone once went unnoticed until the import was published."""
    first, second = files
    assert nashra("import", str(first)).code == 0
    before = served(config_file, db)
    log = tmp_path / "interrupted.log"
    importing = start_import(config_file, second, log)
    while_staging = KILL_POINTS["while staging"]
    kill_when(importing, db, while_staging, signal.SIGINT)

    assert importing.wait(timeout=60) == 130, log.read_text()
    assert log.read_text() == "nashra: import interrupted; nothing of it was made visible\n"
    assert look(db, "SELECT count(*) FROM articles") == [(FIRST,)]
    assert lock_files(db) == []  # the import removed its own files
    assert served(config_file, db) == before


def test_an_import_interrupted_while_publishing_finishes_and_says_so(
    config_file: Path, db: Path, files: tuple[Path, Path], nashra: Nashra, tmp_path: Path
) -> None:
    """The final transaction cannot be stopped halfway: it is waited for, and reported."""
    first, second = files
    assert nashra("import", str(first)).code == 0
    log = tmp_path / "publishing.log"
    importing = start_import(config_file, second, log)

    def attached() -> bool:  # the importer has its staging file open: only publishing does
        opened = [str(fd.resolve()) for fd in Path(f"/proc/{importing.pid}/fd").iterdir()]
        return any(name.endswith(".staged") for name in opened)

    deadline = time.monotonic() + 60
    signalled = False
    while not signalled:
        assert importing.poll() is None and time.monotonic() < deadline
        with frozen(db) as state:
            if _has_tables(state) and KILL_POINTS["right before publishing"](state):
                # the store's lock held: the import gets as far as attaching its file, no further
                while not attached():
                    assert time.monotonic() < deadline
                    time.sleep(0.002)
                os.kill(importing.pid, signal.SIGINT)
                signalled = True
        time.sleep(0.002)

    assert importing.wait(timeout=60) == 0, log.read_text()
    assert log.read_text().startswith(
        f"added {TOTAL - FIRST}, updated {FIRST}, unchanged 0, stale 0,"
    )
    assert look(db, "SELECT count(*) FROM articles") == [(TOTAL,)]
    assert lock_files(db) == []


def test_a_killed_validation_worker_stops_the_import_with_one_line(
    config_file: Path, db: Path, files: tuple[Path, Path], nashra: Nashra, tmp_path: Path
) -> None:
    first, second = files
    assert nashra("import", str(first)).code == 0
    log = tmp_path / "worker-killed.log"
    importing = start_import(config_file, second, log)

    def kill_a_worker(state: Frozen) -> bool:
        if not KILL_POINTS["while staging"](state):
            return False
        os.kill(min(children(importing.pid)), signal.SIGKILL)
        return True

    kill_when(importing, db, kill_a_worker, signal.SIGCONT)  # SIGCONT: changes nothing

    assert importing.wait(timeout=60) == 2, log.read_text()
    assert log.read_text() == (
        "nashra: error: a validation worker process died (was it killed?);"
        " nothing of this import was made visible\n"
    )
    assert look(db, "SELECT count(*) FROM articles") == [(FIRST,)]
    assert lock_files(db) == []


def test_an_import_killed_right_after_publishing_is_whole_and_its_leftovers_go(
    config_file: Path, db: Path, files: tuple[Path, Path], nashra: Nashra, tmp_path: Path
) -> None:
    first, second = files
    assert nashra("import", str(first)).code == 0
    importing = start_import(config_file, second, tmp_path / "killed.log")
    kill_when(importing, db, lambda state: articles(state) == TOTAL)

    assert look(db, "SELECT count(*) FROM articles") == [(TOTAL,)]
    again = nashra("import", str(second))
    assert again.code == 0, again.err
    assert again.out.startswith(f"added 0, updated 0, unchanged {TOTAL}, stale 0,")
    assert lock_files(db) == []


def test_opening_the_store_leaves_a_running_import_alone(
    config_file: Path, db: Path, files: tuple[Path, Path], nashra: Nashra, tmp_path: Path
) -> None:
    first, second = files
    assert nashra("import", str(first)).code == 0
    importing = start_import(config_file, second, tmp_path / "running.log")
    try:
        deadline = time.monotonic() + 60
        while staged_now(db) < CHUNK_LINES:
            assert importing.poll() is None and time.monotonic() < deadline
            time.sleep(0.005)
        # any start opens the store, and removes dead imports' leftovers: not these
        opened = nashra("backup", str(tmp_path / "copy.db"))
        assert opened.code == 0, opened.err
    finally:
        assert importing.wait(timeout=60) == 0, (tmp_path / "running.log").read_text()
    assert (
        (tmp_path / "running.log")
        .read_text()
        .startswith(f"added {TOTAL - FIRST}, updated {FIRST}, unchanged 0, stale 0,")
    )


def test_an_api_write_during_an_import_does_not_wait_for_it(
    config_file: Path,
    db: Path,
    files: tuple[Path, Path],
    nashra: Nashra,
    serve: Serve,
    tmp_path: Path,
) -> None:
    first, second = files
    assert nashra("import", str(first)).code == 0
    with serve() as server:
        importing = start_import(config_file, second, tmp_path / "import.log")
        try:
            deadline = time.monotonic() + 60
            while staged_now(db) == 0:
                assert importing.poll() is None and time.monotonic() < deadline
                time.sleep(0.005)
            response = httpx.post(
                f"{server.url}/api/articles",
                json=record(TOTAL + 1, content=None),
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30,
            )
            assert response.status_code == 201, response.text
            # written while the import still had rows to stage: not after it
            assert 0 < staged_now(db) < TOTAL
        finally:
            assert importing.wait(timeout=60) == 0, (tmp_path / "import.log").read_text()
    assert look(db, "SELECT count(*) FROM articles") == [(TOTAL + 1,)]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs, where this machine lets the test mount one (as root, with mount(8))."""
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)],
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        pytest.skip("a full disk needs mount(8) to make a small tmpfs; there is none here")
    if mounted.returncode:
        pytest.skip(
            f"a full disk needs a small tmpfs, which cannot be mounted here: {mounted.stderr}"
        )
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_stops_the_import_with_one_line_and_the_feeds_as_they_were(
    make_config: MakeConfig, small_disk: Path, tmp_path: Path
) -> None:
    db = small_disk / "nashra.db"
    config = make_config(store={"path": str(db)}, websub={"hub": "http://127.0.0.1:9/hub"})
    first = write_records(tmp_path / "first.jsonl", [record(i) for i in range(FIRST)])
    big = write_records(tmp_path / "big.jsonl", [record(i) for i in range(TOTAL)])  # > 3 MiB

    def nashra_import(path: Path) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "feeds.cli", "import", str(path), "--config", str(config)]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120)

    assert nashra_import(first).returncode == 0
    with write_locked(db) as conn:
        conn.execute("COMMIT")
        conn.execute("DELETE FROM outbox")
        conn.execute("BEGIN")
    before = served(config, db)

    full = nashra_import(big)
    assert full.returncode == 2
    assert full.stdout == ""
    assert len(full.stderr.splitlines()) == 1, full.stderr  # no traceback
    assert full.stderr.startswith(f"nashra: error: writing to the store {db} failed: ")
    assert "database or disk is full; nothing of this import was made visible" in full.stderr
    assert "cannot rollback" not in full.stderr
    assert look(db, "SELECT count(*) FROM outbox") == [(0,)]
    assert served(config, db) == before
