"""The ``nashra`` command line, and a real server started by it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import feedparser
import httpx2 as httpx
import pytest

from feeds.cli import main
from tests.support.builders import record
from tests.support.config import MakeConfig
from tests.support.faults import bump_schema, corrupt_store, foreign_sqlite_file, read_only
from tests.support.live import Serve, free_port
from tests.support.store import run


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ([], ["serve", "import", "publish"]),
        (["serve"], ["--config", "--db", "--host", "--port", "--workers", "NASHRA_CONFIG"]),
        (["import"], ["FILE", "--config", "--db", "--skip-invalid", "standard input"]),
        (["publish"], ["DIR", "--config", "--db", "--watch", "SIGTERM", "atomically"]),
    ],
)
def test_help_is_complete(
    command: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for word in expected:
        assert word in out


def test_bad_config_stops_with_one_message_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[site]\ntitle = "x"\nlink = "/news/"\nlanguage = "ar"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "feeds.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "site.link" in lines[0]
    assert "absolute" in lines[0]


def test_config_from_environment(tmp_path: Path, config_file: Path) -> None:
    data = tmp_path / "one.jsonl"
    data.write_text(json.dumps(record(1)) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "feeds.cli", "import", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**_env(), "NASHRA_CONFIG": str(config_file)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("added 1, updated 0, unchanged 0")
    assert (tmp_path / "nashra.db").exists()


def test_live_server_serves_feeds_and_sees_an_import(nashra, serve: Serve, tmp_path: Path):  # type: ignore[no-untyped-def]
    data = tmp_path / "a.jsonl"
    data.write_text(json.dumps(record(1), ensure_ascii=False) + "\n", encoding="utf-8")
    assert nashra("import", str(data)).code == 0
    with serve(workers=2) as server, httpx.Client(base_url=server.url) as client:
        first = client.get("/feeds/politics.atom")
        assert first.status_code == 200
        assert first.headers["content-type"] == "application/atom+xml; charset=utf-8"
        parsed = feedparser.parse(first.content)
        assert not parsed.bozo
        assert [e.link for e in parsed.entries] == [record(1)["link"]]
        data.write_text(json.dumps(record(2), ensure_ascii=False) + "\n", encoding="utf-8")
        assert nashra("import", str(data)).code == 0
        # every request after the commit, whichever worker answers it, has the change
        for _ in range(20):
            with httpx.Client(base_url=server.url) as fresh:
                response = fresh.get(
                    "/feeds/politics.atom", headers={"If-None-Match": first.headers["etag"]}
                )
            assert response.status_code == 200
            assert record(2)["link"].encode() in response.content


async def _nothing(store: object) -> None:
    pass


def _made_store(path: Path) -> None:
    run(_nothing, path)


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00\xff not SQLite at all " * 400)


#: name: (make the fault at the store's path, words the one line of error must hold)
FAULTS: dict[str, tuple[Callable[[Path], object], str]] = {
    "foreign": (foreign_sqlite_file, "not a nashra store but another program's SQLite file"),
    "newer": (lambda p: (_made_store(p), bump_schema(p)), "newer than this nashra's"),
    "corrupted": (lambda p: (_made_store(p), corrupt_store(p)), "corrupted"),
    "garbage": (_garbage, "not a SQLite database, or its header is corrupted"),
    "read-only-file": (_made_store, "it is read-only (the file is not writable)"),
    "read-only-directory": (_made_store, "it is read-only (its directory"),
}


@pytest.mark.parametrize("command", ["serve", "import", "publish"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_store_that_cannot_be_served_stops_every_command_with_one_line_touching_nothing(
    command: str, fault: str, tmp_path: Path, make_config: MakeConfig
) -> None:
    """Exit 2 with one line on stderr, before a server worker starts; the file as it was."""
    db = tmp_path / "store" / "nashra.db"
    db.parent.mkdir()
    config = make_config(store={"path": str(db)})
    make, words = FAULTS[fault]
    make(db)
    target = db.parent if fault == "read-only-directory" else db
    with read_only(target) if fault.startswith("read-only") else _as_is():
        before = _snapshot(db.parent)
        code, err = _run_to_the_end(_command(command, config, tmp_path))
        assert _snapshot(db.parent) == before
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith(f"nashra: error: cannot open the store {db}: ")
    assert words in lines[0]


@pytest.mark.parametrize("command", ["serve", "import", "publish"])
def test_a_store_directory_that_cannot_be_made_is_one_line(
    command: str, tmp_path: Path, make_config: MakeConfig
) -> None:
    """A missing directory is made (as mkdir -p); one that cannot be is an error, not a trace."""
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    db = tmp_path / "a-file" / "store" / "nashra.db"
    code, err = _run_to_the_end(_command(command, make_config(store={"path": str(db)}), tmp_path))
    assert code == 2, err
    assert err.strip().splitlines() == [
        f"nashra: error: cannot open the store {db}: Not a directory: {db.parent}"
    ]


def _command(command: str, config: Path, tmp_path: Path) -> list[str]:
    start = [sys.executable, "-m", "feeds.cli", command, "--config", str(config)]
    if command == "serve":
        return [*start, "--port", str(free_port()), "--workers", "2"]
    if command == "publish":
        return [*start, str(tmp_path / "site"), "--watch"]
    data = tmp_path / "one.jsonl"
    data.write_text(json.dumps(record(1)) + "\n", encoding="utf-8")
    return [*start, str(data)]


def _run_to_the_end(command: list[str], timeout: float = 20) -> tuple[int, str]:
    """Exit status and stderr of ``command``; fails (stopping it all) if it is still running."""
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        start_new_session=True, env=_env(),
    )  # fmt: skip
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, err = process.communicate()
        pytest.fail(f"still running after {timeout:g} s (a server started); stderr:\n{err}")
    return process.returncode, err


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}


@contextlib.contextmanager
def _as_is() -> Iterator[None]:
    yield


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
