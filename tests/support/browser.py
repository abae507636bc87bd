"""A real browser for tests: Debian's ``chromium``, headless, one run per page.

:func:`dump_dom` gives the DOM the browser built from a URL it navigated to
(so the server saw a real navigation's request headers), :func:`screenshot`
a PNG of it. Each run has its own profile directory, uses no proxy and
resolves no host name but loopback addresses, so a page's images on the
publisher's host are never fetched (tests reach only loopback). A run
that outlives its timeout is killed with its whole process group, and the
test fails saying so, with the browser's last lines of stderr.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

COMMAND = "chromium"
INSTALL = "apt-get install -y --no-install-recommends chromium fonts-noto-core"
FLAGS = [
    "--headless",
    "--no-sandbox",  # tests run as root, where Chromium's sandbox will not start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
TIMEOUT = 60.0
PHONE = (390, 844)  # CSS pixels: a common phone's viewport


class BrowserFailed(RuntimeError):
    """Chromium exited with an error or did not finish in time; the message ends with stderr."""


def require_chromium() -> str:
    """The browser's path; skips the test without one, except under CI, where it fails."""
    found = shutil.which(COMMAND)
    if found is None:
        message = f"no {COMMAND} on PATH: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def dump_dom(url: str, *, timeout: float = TIMEOUT) -> str:
    """The DOM of ``url`` once loaded, serialized as HTML."""
    return _run(["--dump-dom", url], timeout).decode("utf-8")


def screenshot(
    url: str, path: Path, *, size: tuple[int, int] = PHONE, timeout: float = TIMEOUT
) -> Path:
    """A PNG of ``url`` in a window of ``size`` CSS pixels, written to ``path``."""
    width, height = size
    _run(
        [f"--screenshot={path}", f"--window-size={width},{height}", "--hide-scrollbars", url],
        timeout,
    )
    if not path.exists():
        raise BrowserFailed(f"{COMMAND} wrote no screenshot to {path}")
    return path


def _run(arguments: list[str], timeout: float) -> bytes:
    """Run the browser with a new profile; its stdout, once it has exited with 0."""
    browser = require_chromium()
    with tempfile.TemporaryDirectory(prefix="nashra-chromium-") as profile:
        command = [browser, *FLAGS, f"--user-data-dir={profile}", *arguments]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: killed whole on timeout
        )
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)  # before reaping it: the group id is still its own
            _, err = process.communicate()
            raise BrowserFailed(
                _failure(f"{COMMAND} took over {timeout:g} s: killed", err)
            ) from None
    if process.returncode != 0:
        raise BrowserFailed(_failure(f"{COMMAND} exited {process.returncode}", err))
    return out


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _failure(what: str, stderr: bytes, lines: int = 20) -> str:
    tail = stderr.decode("utf-8", "replace").splitlines()[-lines:]
    return f"{what}; its last {len(tail)} lines of stderr:\n" + "\n".join(tail)
