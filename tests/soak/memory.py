"""Memory over the run: VmRSS of the master and of each worker, sampled every few seconds.

Each process has its own series (a worker started after a kill begins a new
one). A process is flat when, past its warm-up, the median of the last
third of its samples is at most :data:`GROWTH` above that of the first
third. The bound: RSS settles once every feed has been rendered in every
format and encoding and the store's page cache is warm; a leak of even
1 KiB per request (tens of thousands of requests in two minutes) adds tens
of MiB to a worker of 60 to 80 MiB, far past 20 %, while the drift of a
healthy process (the import's articles, allocator fragmentation) stays
within a few percent.
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
WARM_UP = 0.2  # the first fifth of a process's samples are its warm-up
MIN_SAMPLES = 9  # fewer (a short-lived worker) say nothing about a trend


@dataclass(slots=True)
class Series:
    role: str  # "master" or "worker"
    samples: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, KiB)

    def thirds(self) -> tuple[float, float] | None:
        """Median KiB of the first and last thirds past the warm-up; None with too few samples."""
        if len(self.samples) < MIN_SAMPLES:
            return None
        kept = [kib for _, kib in self.samples[int(len(self.samples) * WARM_UP) :]]
        third = max(1, len(kept) // 3)
        return statistics.median(kept[:third]), statistics.median(kept[-third:])

    def growth(self) -> float | None:
        thirds = self.thirds()
        return None if thirds is None else thirds[1] / thirds[0] - 1


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

    def grown(self) -> dict[int, float]:
        """The processes that grew past :data:`GROWTH`, with their growth."""
        return {
            pid: growth
            for pid, series in self.series.items()
            if (growth := series.growth()) is not None and growth > GROWTH
        }
