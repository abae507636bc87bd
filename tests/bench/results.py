"""What a load run is asked to do, and what it measured: shared by wrk and the Python load."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tests.bench.cases import Case

Tool = Literal["wrk", "python"]


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """How to drive the load; ``cpus`` pins the load generator when not empty."""

    tool: Tool
    duration: int
    connections: int
    #: wrk threads, or Python load processes
    parallel: int
    #: the work directory, for wrk's Lua script
    work: Path
    cpus: str = ""


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one load run measured; ``statuses`` is empty when the tool did not count them."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    bytes_read: int
    #: responses whose status is not 2xx or 3xx
    bad_status: int
    #: connect, read and write errors, and timeouts
    socket_errors: int
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def bytes_per_response(self) -> float:
        return self.bytes_read / self.requests if self.requests else 0.0

    def problem(self, case: Case) -> str | None:
        """Why this run failed the case, if it did."""
        if not self.requests:
            return "no response at all"
        if case.expect is not None and self.statuses.get(case.expect, 0) != self.requests:
            return f"expected every response to be {case.expect}, got {self.statuses}"
        if self.bad_status:
            return f"{self.bad_status} of {self.requests} responses were not 2xx or 3xx"
        return None
