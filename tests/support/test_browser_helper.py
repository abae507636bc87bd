"""The browser helper: a run that outlives its timeout is killed, helpers and all."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support import browser

HANGING = """#!/bin/sh
sleep 60 &
echo $! > "{directory}/helper.pid"
echo $$ > "{directory}/browser.pid"
wait
"""


def test_a_browser_that_hangs_is_killed_with_its_helpers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "chromium"
    fake.write_text(HANGING.format(directory=tmp_path))
    fake.chmod(0o755)
    monkeypatch.setattr(browser, "COMMAND", str(fake))
    started = time.monotonic()
    with pytest.raises(browser.BrowserFailed, match=r"took over 1 s: killed"):
        browser.dump_dom("http://127.0.0.1:9/", timeout=1)
    assert time.monotonic() - started < 10
    for name in ("browser.pid", "helper.pid"):
        pid = int((tmp_path / name).read_text())
        assert not running(pid), name


def running(pid: int) -> bool:
    """Whether ``pid`` still runs: it is not gone, nor a zombie awaiting its reaper."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
