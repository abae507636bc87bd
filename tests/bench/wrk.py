"""A load run by wrk, with a Lua script for the headers, the random paths and the counts.

wrk prints its usual report (``--latency`` adds the percentiles), from which
come requests/s, p50 and p99; the script's ``done`` adds one line, ``BENCH
{...}``, with exact totals: requests, bytes, errors and, when asked, statuses.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.bench.cases import Case
from tests.bench.results import LoadOptions, LoadResult

TIMEOUT_S = 10
#: Arguments after ``--``: ``H<name>: <value>`` a header, ``P<path>`` a path to pick
#: from at random, ``S`` count statuses (wrk then hands every response to Lua).
SCRIPT = """\
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("seed", #threads)
end

function init(args)
  local paths = {}
  for _, arg in ipairs(args) do
    local kind, value = arg:sub(1, 1), arg:sub(2)
    if kind == "H" then
      local name, v = value:match("^([^:]+):%s*(.*)$")
      wrk.headers[name] = v
    elseif kind == "P" then
      table.insert(paths, value)
    elseif kind == "S" then
      statuses = {}
      response = function(status) statuses[status] = (statuses[status] or 0) + 1 end
    end
  end
  if #paths > 1 then
    local requests = {}
    for i, path in ipairs(paths) do requests[i] = wrk.format(nil, path) end
    math.randomseed(seed)
    request = function() return requests[math.random(#requests)] end
  end
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%s": %d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "status": %d, "socket": %d, '
      .. '"statuses": {%s}}\\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
"""
REQUESTS_PER_S = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
PERCENTILE = re.compile(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)$", re.MULTILINE)
TOTALS = re.compile(r"^BENCH (\{.*\})$", re.MULTILINE)
MS_PER_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class WrkFailed(RuntimeError):
    """wrk exited with an error, or its output could not be read."""


def run_wrk(case: Case, port: int, options: LoadOptions) -> LoadResult:
    """One wrk run of ``case``; wrk's own output is in the error if it cannot be parsed."""
    argv = _argv(case, port, options)
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=options.duration + 4 * TIMEOUT_S
        )
    except subprocess.TimeoutExpired as error:
        raise WrkFailed(f"{' '.join(argv)}: still running after {error.timeout} s") from error
    try:
        if done.returncode:
            raise ValueError(f"exit status {done.returncode}")
        return _parse(done.stdout)
    except (KeyError, ValueError) as error:
        output = (done.stdout + done.stderr).strip()
        raise WrkFailed(f"{' '.join(argv)}: {error}\n{output}") from error


def _argv(case: Case, port: int, options: LoadOptions) -> list[str]:
    script = _script(options.work)
    pin = ["taskset", "-c", options.cpus] if options.cpus else []
    extra = [
        *(f"H{name}: {value}" for name, value in case.headers.items()),
        *(f"P{path}" for path in case.paths),
        *(["S"] if case.expect is not None else []),
    ]
    return [
        *pin, "wrk", f"-t{options.parallel}", f"-c{options.connections}",
        f"-d{options.duration}s", f"--timeout={TIMEOUT_S}s", "--latency", f"-s{script}",
        f"http://127.0.0.1:{port}{case.paths[0]}", "--", *extra,
    ]  # fmt: skip


def _script(work: Path) -> Path:
    path = work / "bench.lua"
    if not path.exists():
        path.write_text(SCRIPT, encoding="utf-8")
    return path


def _parse(output: str) -> LoadResult:
    percentiles = {
        int(match[1]): float(match[2]) * MS_PER_UNIT[match[3]]
        for match in PERCENTILE.finditer(output)
    }
    totals: dict[str, Any] = json.loads(_find(TOTALS, output))
    return LoadResult(
        requests=totals["requests"],
        seconds=totals["duration_us"] / 1e6,
        rps=float(_find(REQUESTS_PER_S, output)),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        bytes_read=totals["bytes"],
        bad_status=totals["status"],
        socket_errors=totals["socket"],
        statuses={int(status): n for status, n in totals["statuses"].items()},
    )


def _find(pattern: re.Pattern[str], output: str) -> str:
    match = pattern.search(output)
    if match is None:
        raise ValueError(f"no match for {pattern.pattern!r}")
    return match[1]
