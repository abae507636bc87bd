"""A real Varnish (``varnishd``) with the shipped VCL, in front of a test server.

The VCL is ``config/varnish/nashra.vcl`` with its backend's ``.host`` and
``.port`` rewritten, as the shared benchmark's ``project-varnish`` peer does.
varnishd runs in the foreground in its own process group, with a working
directory of its own (readable by the unprivileged user its child drops to),
on a free loopback port; it is always stopped.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.live import free_port

VCL = Path(__file__).resolve().parents[2] / "config" / "varnish" / "nashra.vcl"
INSTALL = "apt-get install varnish varnish-modules (.ci/run does)"


@dataclass(frozen=True, slots=True)
class Varnish:
    """A running varnishd: the URL clients use and nashra purges, and its working directory."""

    url: str
    port: int
    name: Path  # its -n directory, which varnishadm finds it by

    def backend_sick(self) -> bool:
        """Whether its health probe has found nashra down (``varnishadm backend.list``)."""
        listing = subprocess.run(
            ["varnishadm", "-n", str(self.name), "backend.list"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout  # fmt: skip
        return " sick " in listing


def require_varnishd() -> str:
    """varnishd's path; skips the test without one, except under CI, where it fails."""
    found = shutil.which("varnishd") or shutil.which("/usr/sbin/varnishd")
    if found is None:
        message = f"no varnishd: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def backend_vcl(vcl: str, host: str, port: int) -> str:
    """The VCL with its backend at ``host:port``."""
    text = re.sub(r'(\.port\s*=\s*")\d+(")', rf"\g<1>{port}\g<2>", vcl)
    return re.sub(r'(\.host\s*=\s*")[^"]+(")', rf"\g<1>{host}\g<2>", text)


@contextlib.contextmanager
def running_varnish(backend_port: int, *, port: int | None = None) -> Iterator[Varnish]:
    """varnishd with the shipped VCL, its backend 127.0.0.1:``backend_port``, until the block ends.

    ``port``: where it listens (a free one if None), so it can come back on the same one.
    """
    varnishd = require_varnishd()
    work = Path(tempfile.mkdtemp(prefix="nashra-varnish-"))
    work.chmod(0o755)  # varnishd's worker process runs as an unprivileged user
    vcl = work / "nashra.vcl"
    vcl.write_text(backend_vcl(VCL.read_text(encoding="utf-8"), "127.0.0.1", backend_port))
    vcl.chmod(0o644)
    port = port or free_port()
    log = work / "varnishd.log"
    command = [varnishd, "-F", "-n", str(work / "n"), "-a", f"127.0.0.1:{port}",
               "-f", str(vcl), "-s", "malloc,64m", "-T", "127.0.0.1:0"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_listening(port, process, log)
        yield Varnish(f"http://127.0.0.1:{port}", port, work / "n")
    finally:
        _stop(process)
        shutil.rmtree(work, ignore_errors=True)


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"varnishd exited {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        time.sleep(0.05)
    raise RuntimeError(f"varnishd did not listen within 30 s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to varnishd's group (the manager and its child), SIGKILL after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, 15)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        process.wait()
