"""Cold renders: the first GET of each kind of feed on a freshly started server.

Each run starts a new server, waits for ``/healthz``, then times the first GET
of each feed given (see :func:`~tests.bench.cases.cold_feeds`), then warm GETs of
the same feeds. The cold figures are medians over the runs, with the server's
own time for each cold render, from its ``Server-Timing: render;dur=``. With W
workers a "warm" GET may land on a worker that has not rendered that feed yet,
at most W-1 times per feed and run, so each run makes 2W+1 warm GETs of each
feed and the warm figure is the median of them all.
"""

from __future__ import annotations

import re
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench.client import get
from tests.bench.server import ServeCommand, serve

_RENDER = re.compile(r"\brender;dur=([0-9.]+)")


@dataclass(frozen=True, slots=True)
class FeedTiming:
    path: str
    cold_ms: float
    warm_ms: float
    bytes: int
    #: the server's own time for the cold render (its Server-Timing), None if it sent none
    render_ms: float | None = None


@dataclass(frozen=True, slots=True)
class ColdResult:
    runs: int
    startup_ms: float
    feeds: list[FeedTiming]
    failures: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Samples:
    startup: list[float] = field(default_factory=list)
    cold: dict[str, list[float]] = field(default_factory=dict)
    warm: dict[str, list[float]] = field(default_factory=dict)
    render: dict[str, list[float]] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def measure_cold(command: ServeCommand, paths: list[str], runs: int, logs: Path) -> ColdResult:
    """Median cold and warm milliseconds of each path over ``runs`` fresh servers."""
    samples = _Samples()
    for run in range(1, runs + 1):
        print(f"cold run {run}/{runs}", file=sys.stderr, flush=True)
        with serve(command, logs / f"serve-cold-{run}.log") as server:
            samples.startup.append(server.startup_ms)
            for path in paths:
                _sample(samples, samples.cold, server.port, path, samples.render)
            for path in paths:
                for _ in range(2 * command.workers + 1):
                    _sample(samples, samples.warm, server.port, path)
    feeds = [
        FeedTiming(
            path,
            statistics.median(samples.cold[path]),
            statistics.median(samples.warm[path]),
            samples.size[path],
            statistics.median(samples.render[path]) if samples.render.get(path) else None,
        )
        for path in paths
    ]
    return ColdResult(runs, statistics.median(samples.startup), feeds, samples.failures)


def _sample(
    samples: _Samples,
    into: dict[str, list[float]],
    port: int,
    path: str,
    render: dict[str, list[float]] | None = None,
) -> None:
    response = get(port, path)
    into.setdefault(path, []).append(response.ms)
    timing = _RENDER.search(response.headers.get("server-timing", ""))
    if render is not None and timing:
        render.setdefault(path, []).append(float(timing[1]))
    samples.size[path] = len(response.body)
    if response.status != 200:
        samples.failures.append(f"GET {path} answered {response.status}, not 200")
