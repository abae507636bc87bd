"""Load runs: one case for a while, by wrk when it is installed, else by :mod:`.pyload`."""

from __future__ import annotations

import shutil

from tests.bench.cases import Case
from tests.bench.pyload import run_python
from tests.bench.results import LoadOptions, LoadResult, Tool
from tests.bench.wrk import run_wrk


def pick_tool(wanted: str) -> Tool:
    """``wrk`` when asked or, for ``auto``, when it is installed; else ``python``."""
    if wanted == "python":
        return "python"
    if shutil.which("wrk"):
        return "wrk"
    if wanted == "wrk":
        raise SystemExit("--load wrk: wrk is not installed")
    return "python"


def run_load(case: Case, port: int, options: LoadOptions) -> LoadResult:
    """Drive ``case`` against the server on ``port`` for ``options.duration`` seconds."""
    run = run_wrk if options.tool == "wrk" else run_python
    return run(case, port, options)
