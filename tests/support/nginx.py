"""A real nginx serving a published directory with the shipped ``config/nginx`` files.

``config/nginx/nashra-static.conf`` is included as it is; its per-site
include, ``nashra-static/site.conf`` in the test's nginx configuration
directory, is the shipped ``nashra-static-site.conf`` with only its ``listen``
and ``root`` lines changed (and ``brotli_static`` dropped when the module is
not installed). nginx runs in the foreground with a temporary prefix, on a
free loopback port, and is always stopped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.live import free_port

ROOT = Path(__file__).parent.parent.parent
SERVER_BLOCK = ROOT / "config" / "nginx" / "nashra-static.conf"
SITE_EXAMPLE = ROOT / "config" / "nginx" / "nashra-static-site.conf"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
INSTALL = "apt-get install nginx libnginx-mod-http-brotli-static"


def require_nginx() -> str:
    """nginx's path; skips the test without it, except under CI, where it fails."""
    found = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if found is None:
        message = f"no nginx on PATH: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def brotli_installed() -> bool:
    return BROTLI_MODULE.exists()


def site_conf(port: int, root: Path) -> str:
    """The shipped per-site file for a site on ``port`` serving ``root``."""
    text = SITE_EXAMPLE.read_text(encoding="utf-8")
    text, listens = re.subn(r"(?m)^listen .*;$", f"listen 127.0.0.1:{port};", text)
    text, roots = re.subn(r"(?m)^root .*;$", f"root {root};", text)
    assert (listens, roots) == (1, 1), "the site example has one listen and one root line"
    if not brotli_installed():
        text = re.sub(r"(?m)^brotli_static on;$", "", text)
    return text


@contextmanager
def static_nginx(root: Path, prefix: Path) -> Iterator[str]:
    """Run nginx serving ``root`` until the block ends; yields its base URL."""
    nginx = require_nginx()
    port = free_port()
    conf = prefix / "conf"
    (conf / "nashra-static").mkdir(parents=True)
    (prefix / "logs").mkdir()
    (conf / "nashra-static" / "site.conf").write_text(site_conf(port, root), encoding="utf-8")
    module = f"load_module {BROTLI_MODULE};\n" if brotli_installed() else ""
    (conf / "nginx.conf").write_text(
        f"""{module}user root;  # ignored unless run as root: then workers may read the test's files
worker_processes 1;
error_log logs/error.log;
pid logs/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    include {SERVER_BLOCK};
}}
""",
        encoding="utf-8",
    )
    log = prefix / "logs" / "error.log"
    command = [nginx, "-p", str(prefix), "-c", str(conf / "nginx.conf"), "-e", str(log),
               "-g", "daemon off;"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log)
        yield base
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: the master stops its workers
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited {process.returncode}: {_read(log)}")
        try:
            httpx.get(f"{base}/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not answer within 10 s: {_read(log)}")


def _read(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace") if log.exists() else "(no log)"
