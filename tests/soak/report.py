"""The soak's summary: what ran, what it met, and PASS or FAIL with every reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.soak.memory import GROWTH, SETTLE, WARM_UP, Memory
from tests.soak.outcomes import Outcomes
from tests.soak.plan import Plan
from tests.soak.trouble import Trouble
from tests.soak.writer import Ledger


@dataclass(slots=True)
class Soak:
    plan: Plan
    seconds: float  # how long the load actually ran
    outcomes: Outcomes
    ledger: Ledger
    trouble: Trouble
    memory: Memory
    start: float  # monotonic moment the load began
    kill_window: float
    hub_feeds: int = 0  # feeds changed while the hub was down
    hub_heard_after: float | None = None  # seconds from the hub's return until it heard of all
    hub_pings: int = 0
    checked_placements: int = 0
    log_trouble: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def settled(self) -> float:
        """The monotonic moment the warm-up ended (see :mod:`tests.soak.memory`)."""
        end = self.trouble.import_window[1] if self.trouble.import_window else self.start
        return max(self.start + WARM_UP * self.seconds, end + SETTLE)


def summary(soak: Soak) -> str:
    out = soak.outcomes
    lines = [f"soak: {soak.seconds:.0f} s, 2 workers, {soak.plan.import_size:,} records imported"]
    for who in ("poll", "api"):
        counts = out.by_status(who)
        total = sum(counts.values())
        shown = ", ".join(f"{what}: {n:,}" for what, n in sorted(counts.items(), key=str))
        lines.append(f"  {who:<5} {total:>8,} requests ({total / soak.seconds:,.0f}/s)  {shown}")
    ledger = soak.ledger
    live = len(ledger.live())
    lines.append(
        f"  writes acknowledged {ledger.acknowledged:,} ({len(ledger.articles):,} articles, "
        f"{live:,} live, {len(ledger.articles) - live:,} deleted), {ledger.retried} retries; "
        f"{soak.checked_placements:,} feed placements checked"
    )
    lost = ledger.lost_answers
    lines.append(
        f"  writes whose answer a kill lost: {len(lost)} ({sum(lost)} had been written, "
        f"{len(lost) - sum(lost)} not), each then acknowledged"
    )
    kills = soak.trouble.kills
    restarts = ", ".join(
        f"{k.at - soak.start:.0f}s→{k.restarted_after:.1f}s" if k.restarted_after else "no restart"
        for k in kills
    )
    lines.append(f"  kills {len(kills)} (at → worker back after): {restarts}")
    near = [a for a in out.answers if a.failed]
    lines.append(
        f"  failed requests (5xx or no answer): {len(near)}, "
        f"{len(near) - len(out.failures_outside([k.at for k in kills], soak.kill_window))} "
        f"of them within {soak.kill_window:g} s of a kill"
    )
    trouble = soak.trouble
    if trouble.hub_down is not None and trouble.hub_up is not None:
        heard = soak.hub_heard_after
        wait = "never" if heard is None else f"{heard:.1f} s after it came back"
        lines.append(
            f"  hub down {trouble.hub_down - soak.start:.0f}s–{trouble.hub_up - soak.start:.0f}s; "
            f"{soak.hub_feeds} feeds changed meanwhile, all heard of {wait}; "
            f"{soak.hub_pings:,} pings in all"
        )
    lines.append(f"  import: exit {trouble.import_code}, {trouble.import_seconds:.1f} s: "
                 f"{trouble.import_line}")  # fmt: skip
    lines += _memory_lines(soak.memory, soak.settled(), soak.start)
    for line in soak.log_trouble[:10]:
        lines.append(f"  server log: {line}")
    verdict = "FAIL" if soak.failures else "PASS"
    lines += [f"  FAIL: {reason}" for reason in soak.failures]
    lines.append(verdict)
    return "\n".join(lines)


def _memory_lines(memory: Memory, settled: float, start: float) -> list[str]:
    first, last = memory.total_kib(0), memory.total_kib(-1)
    lines = [f"  memory, master and workers: {first / 1024:.0f} MiB at start, "
             f"{last / 1024:.0f} MiB at end; trends past {settled - start:.0f} s:"]  # fmt: skip
    for pid, series in memory.series.items():
        thirds = series.thirds(settled)
        if thirds is None:
            continue
        low, high = thirds
        lines.append(
            f"    {series.role} {pid}: {len(series.samples)} samples, median "
            f"{low / 1024:.1f} → {high / 1024:.1f} MiB ({high / low - 1:+.1%}, bound +{GROWTH:.0%})"
        )
    return lines
