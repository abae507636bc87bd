"""Memory over the run: VmRSS of the master and of each worker, sampled every few seconds.

Each process has its own series (a worker started after a kill begins a new
one). A process is flat when, past the warm-up, the median of the last
third of its samples is at most :data:`GROWTH` above that of the first
third. The warm-up is the first fifth of the run and of the process's own
samples, and lasts until :data:`SETTLE` seconds after the import: a worker
grows by a step, some 15 MiB, once the import's articles reach its feeds,
and a step is not a leak. The bound: RSS is flat once every feed has been
rendered in every format and encoding; a leak of even 1 KiB per request
adds tens of MiB to a worker of 55 to 75 MiB within a minute, far past
20 % (+42 % in 40 s, tried), while a healthy worker drifts by a few percent.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass, field

from tests.soak import processes

EVERY = 2.0  # seconds between samples
GROWTH = 0.20  # the most a process may grow, past its warm-up
WARM_UP = 0.2  # the first fifth of the run, and of a process's samples, are warm-up
SETTLE = 5.0  # seconds after the import's end that are warm-up too
MIN_SAMPLES = 9  # fewer (a short-lived worker, a short run) say nothing about a trend


@dataclass(slots=True)
class Series:
    role: str  # "master" or "worker"
    samples: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, KiB)

    def thirds(self, settled: float) -> tuple[float, float] | None:
        """Median KiB of the first and last thirds of the samples past the warm-up.

        ``settled`` is the monotonic moment the run's warm-up ended. None
        with too few samples to tell a trend.
        """
        own = self.samples[int(len(self.samples) * WARM_UP) :]
        kept = [kib for at, kib in own if at >= settled]
        if len(kept) < MIN_SAMPLES:
            return None
        third = len(kept) // 3
        return statistics.median(kept[:third]), statistics.median(kept[-third:])


@dataclass(slots=True)
class Memory:
    master: int
    series: dict[int, Series] = field(default_factory=dict)

    async def sample(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), EVERY)

    def sample_once(self) -> None:
        now = time.monotonic()
        roles = {self.master: "master"} | dict.fromkeys(processes.workers(self.master), "worker")
        for pid, role in roles.items():
            kib = processes.rss_kib(pid)
            if kib is not None:
                self.series.setdefault(pid, Series(role)).samples.append((now, kib))

    def total_kib(self, which: int) -> int:
        """Master and workers summed at the first (0) or last (-1) round of samples."""
        rounds = sorted({t for s in self.series.values() for t, _ in s.samples})
        if not rounds:
            return 0
        moment = rounds[which]
        return sum(kib for s in self.series.values() for t, kib in s.samples if t == moment)

    def grown(self, settled: float) -> dict[int, float]:
        """The processes that grew past :data:`GROWTH` after ``settled``, with their growth."""
        grown = {}
        for pid, series in self.series.items():
            thirds = series.thirds(settled)
            if thirds is not None and thirds[1] / thirds[0] - 1 > GROWTH:
                grown[pid] = thirds[1] / thirds[0] - 1
        return grown
