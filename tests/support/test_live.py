"""The live-server helper: it waits for every worker, shows the log on failure, always stops."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.builders import record
from tests.support.commands import ImportRecords
from tests.support.live import STARTED, Serve, ServerFailed, live_server


def test_a_server_that_cannot_start_fails_with_its_log(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[site]\ntitle = "x"\nlink = "/news/"\nlanguage = "ar"\n', encoding="utf-8")
    with (
        pytest.raises(ServerFailed) as failed,
        live_server(config, log_dir=tmp_path, start_timeout=10),
    ):
        pytest.fail("the block ran without a server")
    message = str(failed.value)
    assert message.startswith("nashra serve exited 2; the last ")
    assert str(tmp_path / "serve-1.log") in message
    assert "site.link" in message  # the CLI's one line, read back from the log


def test_every_worker_has_started_before_the_block_and_all_are_gone_after(
    serve: Serve, import_records: ImportRecords
) -> None:
    assert import_records([record(1)]).code == 0  # the store is made before the workers start
    with serve(workers=3) as server:
        assert server.started() == 3
        for _ in range(6):  # new connections land on any worker
            with httpx.Client(base_url=server.url) as fresh:
                assert record(1)["link"] in fresh.get("/feeds/politics.atom").text
    # the supervisor, every worker and their helpers; one just sent SIGKILL may take a moment
    deadline = time.monotonic() + 2
    while living(group=server.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert living(group=server.pid) == []
    assert server.log.read_text(encoding="utf-8").count(STARTED) == 3


def living(group: int) -> list[int]:
    """The processes of a process group that have not exited (zombies are gone but unreaped)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # it exited meanwhile
            continue
        state, pgid = fields[0], int(fields[2])
        if pgid == group and state not in ("Z", "X"):
            pids.append(int(stat.parent.name))
    return pids


def test_a_failing_block_carries_the_server_log(serve: Serve) -> None:
    with pytest.raises(AssertionError) as failed, serve() as server:
        raise AssertionError("the test failed")
    (note,) = failed.value.__notes__
    assert note.startswith("while the server ran; the last ")
    assert str(server.log) in note
    assert STARTED in note
