"""A Python load generator, for when wrk is missing: processes of asyncio keep-alive clients.

The connections are shared out among ``parallel`` processes (pinned with
``sched_setaffinity`` when the options name CPUs). Every process starts at the
same moment and stops at the same deadline; each connection sends a request,
reads the response's head and ``Content-Length`` bytes of body, records the
latency, and sends the next, until the deadline. A connection that fails is
counted as a socket error and reopened. Whatever is still in flight a grace
period after the deadline is cancelled and counted as a timeout, so a run
always ends.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import random
import re
import signal
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import uvloop

from tests.bench.cases import Case
from tests.bench.results import LoadOptions, LoadResult

HEAD_END = b"\r\n\r\n"
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
CLOSE = re.compile(rb"\r\nconnection:[ \t]*close", re.IGNORECASE)
#: time for every process to start before the common start
START_DELAY_S = 0.5
#: time after the deadline for the last responses
GRACE_S = 10.0
RECONNECT_PAUSE_S = 0.01
FAILURES = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


class LoadFailed(RuntimeError):
    """A load process died, or gave no result in time."""


@dataclass(frozen=True, slots=True)
class _Job:
    """One process's share of a run."""

    port: int
    requests: tuple[bytes, ...]
    connections: int
    start: float
    deadline: float
    seed: int
    cpus: frozenset[int]


@dataclass(slots=True)
class _Tally:
    """What one process saw."""

    latencies: list[float] = field(default_factory=list)
    bytes_read: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    last: float = 0.0

    def add(self, other: _Tally) -> None:
        self.latencies += other.latencies
        self.bytes_read += other.bytes_read
        self.statuses += other.statuses
        self.errors += other.errors
        self.last = max(self.last, other.last)


def run_python(case: Case, port: int, options: LoadOptions) -> LoadResult:
    """One run of ``case`` for ``options.duration`` seconds."""
    requests = tuple(_request(port, path, case.headers) for path in case.paths)
    start = time.monotonic() + START_DELAY_S
    cpus = frozenset(int(cpu) for cpu in options.cpus.split(",") if cpu)
    processes = min(options.parallel, options.connections)
    jobs = [
        _Job(port, requests, share, start, start + options.duration, index * 10_000, cpus)
        for index, share in enumerate(_shares(options.connections, processes))
    ]
    total = _Tally()
    for tally in _in_processes(jobs, start + options.duration + GRACE_S + START_DELAY_S):
        total.add(tally)
    return _result(total, start)


def _in_processes(jobs: list[_Job], deadline: float) -> list[_Tally]:
    """Run each job in a process of its own; a process that dies or hangs fails the run."""
    context = multiprocessing.get_context("fork")
    started = []
    for job in jobs:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_process, args=(job, sender), daemon=True)
        process.start()
        sender.close()
        started.append((process, receiver))
    try:
        return [_receive(process, receiver, deadline) for process, receiver in started]
    finally:
        for process, receiver in started:
            receiver.close()
            process.join(timeout=1)
            if process.is_alive():
                process.kill()
                process.join()


def _receive(process: BaseProcess, receiver: Connection, deadline: float) -> _Tally:
    try:
        if receiver.poll(max(0.0, deadline - time.monotonic())):
            tally: _Tally = receiver.recv()
            return tally
    except EOFError:
        process.join(timeout=1)
        raise LoadFailed(f"load process {process.pid} died, exit code {process.exitcode}") from None
    raise LoadFailed(f"load process {process.pid} gave no result in time")


def _request(port: int, path: str, headers: Mapping[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _shares(connections: int, processes: int) -> list[int]:
    """``connections`` split as evenly as can be among ``processes``."""
    share, extra = divmod(connections, processes)
    return [share + (index < extra) for index in range(processes)]


def _result(total: _Tally, start: float) -> LoadResult:
    latencies = sorted(total.latencies)
    requests = len(latencies)
    seconds = max(total.last - start, 1e-9)
    bad = sum(n for status, n in total.statuses.items() if not 200 <= status < 400)
    return LoadResult(
        requests=requests,
        seconds=seconds,
        rps=requests / seconds,
        p50_ms=_percentile(latencies, 50) * 1000,
        p99_ms=_percentile(latencies, 99) * 1000,
        bytes_read=total.bytes_read,
        bad_status=bad,
        socket_errors=total.errors,
        statuses=dict(total.statuses),
    )


def _percentile(ordered: list[float], percent: float) -> float:
    """Nearest-rank percentile of sorted values; 0 for none."""
    if not ordered:
        return 0.0
    rank = math.ceil(percent / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def _process(job: _Job, results: Connection) -> None:
    """A load process: run the job, send the tally back; the parent handles interruptions."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if job.cpus:
        os.sched_setaffinity(0, job.cpus)
    results.send(uvloop.run(_clients(job)))
    results.close()


async def _clients(job: _Job) -> _Tally:
    await asyncio.sleep(max(0.0, job.start - time.monotonic()))
    tally = _Tally()
    tasks = [
        asyncio.create_task(_connection(job, random.Random(job.seed + index), tally))
        for index in range(job.connections)
    ]
    done, pending = await asyncio.wait(tasks, timeout=job.deadline + GRACE_S - time.monotonic())
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    tally.errors += len(pending)
    for task in done:
        task.result()  # a bug in this module, not a failed request: let it show
    return tally


async def _connection(job: _Job, rng: random.Random, tally: _Tally) -> None:
    """One keep-alive connection, reopened after a failure, until the deadline."""
    while time.monotonic() < job.deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", job.port)
        except OSError:
            tally.errors += 1
            await asyncio.sleep(RECONNECT_PAUSE_S)
            continue
        try:
            await _exchange(job, rng, tally, reader, writer)
        except FAILURES:
            tally.errors += 1
        finally:
            writer.close()


async def _exchange(
    job: _Job,
    rng: random.Random,
    tally: _Tally,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """Requests on one connection until the deadline, or until the server closes it."""
    while (sent := time.monotonic()) < job.deadline:
        writer.write(rng.choice(job.requests))
        head = await reader.readuntil(HEAD_END)
        status = int(head[9:12])
        length = CONTENT_LENGTH.search(head)
        if length is None and status not in (204, 304):
            raise ValueError(f"a {status} response without Content-Length")
        size = int(length[1]) if length else 0
        await reader.readexactly(size)
        now = time.monotonic()
        tally.latencies.append(now - sent)
        tally.bytes_read += len(head) + size
        tally.statuses[status] += 1
        tally.last = now
        if CLOSE.search(head):
            return
