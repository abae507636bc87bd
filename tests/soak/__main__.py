"""``python -m tests.soak`` (``make soak``): run the soak, print its summary, exit 1 on FAIL.

Steps: start a hub stand-in and ``nashra serve --workers 2`` on a temporary
store; run readers, the CMS and the memory sampler for ``SOAK_SECONDS``
while the plan's trouble happens on schedule (:mod:`.plan`); stop the
load, wait for the hub to hear of the changes made while it was down,
then check everything (:mod:`.verify`).
"""

from __future__ import annotations

import asyncio
import random
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType

import httpx2 as httpx

from tests.bench.server import trouble as log_trouble
from tests.soak import memory, processes, trouble, verify
from tests.soak.files import SECRET, SITE, imported_id, write_config, write_import
from tests.soak.outcomes import Outcomes
from tests.soak.plan import Plan, PlanError, make_plan, seconds_from_environment
from tests.soak.readers import read_feeds
from tests.soak.report import Soak, summary
from tests.soak.writer import Writer
from tests.support.config import BASE
from tests.support.hub import Hub, Ping
from tests.support.live import LiveServer, ServerFailed, free_port, live_server

WORKERS = 2
READERS = 6
SEED = 9  # the number: the same writes and kills from run to run
KILL_WINDOW = 1.0  # seconds either side of a kill in which failed requests are expected
HUB_WAIT = 60.0  # seconds for the hub to hear of every change: the outbox backs off
EXTENSIONS = ("rss", "atom", "json")
IMPORT_SAMPLE = 20  # imported ids looked up through the API at the end


def main() -> int:
    try:
        seconds = seconds_from_environment()
    except PlanError as error:
        print(f"soak: error: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _exit)  # so that the server is stopped on SIGTERM too
    plan = make_plan(seconds, random.Random(SEED))
    try:
        with tempfile.TemporaryDirectory(prefix="nashra-soak-") as work:
            soak = run(plan, Path(work))
    except ServerFailed as error:
        print(f"soak: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("soak: interrupted", file=sys.stderr)
        return 130
    print(summary(soak))
    return 1 if soak.failures else 0


def run(plan: Plan, work: Path) -> Soak:
    hub = Hub(free_port())
    hub.start()
    try:
        config = write_config(work, hub.url)
        records = write_import(work, plan.import_size)
        with live_server(config, workers=WORKERS, log_dir=work, start_timeout=60) as server:
            soak = asyncio.run(_soak(plan, server, hub, config, records))
            _check(soak, server, hub)
            soak.log_trouble = log_trouble(server.log)
        return soak
    finally:
        hub.stop()


async def _soak(plan: Plan, server: LiveServer, hub: Hub, config: Path, records: Path) -> Soak:
    outcomes = Outcomes()
    happened = trouble.Trouble()
    sampler = memory.Memory(server.pid)
    writer = Writer(server.url, SECRET, outcomes, SEED)
    paths = [f"/feeds/{feed}.{ext}" for feed in _feeds() for ext in EXTENSIONS]
    stop = asyncio.Event()
    start = time.monotonic()
    load = [
        *(read_feeds(server.url, paths, stop, outcomes, SEED + n) for n in range(READERS)),
        writer.run(stop),
        sampler.sample(stop),
    ]
    loading = asyncio.gather(*load)
    down_for = plan.hub_up - plan.hub_down

    def kill() -> Awaitable[None]:
        return trouble.kill_a_worker(server, WORKERS, writer.writing, happened)

    events: list[tuple[float, Callable[[], Awaitable[None]]]] = [
        *((at, kill) for at in plan.kills),
        (plan.hub_down, lambda: trouble.hub_outage(hub, down_for, happened)),
        (plan.import_at, lambda: trouble.run_import(config, records, happened)),
    ]
    scheduled = asyncio.gather(*(_at(start + at, event) for at, event in events))
    await asyncio.sleep(plan.seconds)
    stop.set()
    await loading
    seconds = time.monotonic() - start
    await scheduled  # the import may still run, a restart still be watched
    sampler.sample_once()
    return Soak(plan, seconds, outcomes, writer.ledger, happened, sampler, start, KILL_WINDOW)


async def _at(moment: float, event: Callable[[], Awaitable[None]]) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))
    await event()


def _check(soak: Soak, server: LiveServer, hub: Hub) -> None:
    """Every check of the end of the run; each failure becomes a line of ``soak.failures``."""
    fail = soak.failures.append
    happened = soak.trouble
    kills = [k.at for k in happened.kills]
    for answer in soak.outcomes.failures_outside(kills, soak.kill_window)[:10]:
        fail(f"{answer.what} for {answer.who} {answer.path} at {answer.at - soak.start:.1f} s, "
             f"away from every kill")  # fmt: skip
    for path in sorted(set(soak.outcomes.unparsable)):
        fail(f"a 200 for {path} did not parse")
    for rejected in soak.ledger.rejected[:10]:
        fail(f"write refused: {rejected}")
    if len(kills) < len(soak.plan.kills):
        fail(f"{len(kills)} of {len(soak.plan.kills)} planned kills happened")
    for kill in happened.kills:
        if kill.restarted_after is None:
            fail(f"worker {kill.pid}, killed, was not replaced in {trouble.RESTART_TIMEOUT:g} s")
    if len(processes.workers(server.pid)) != WORKERS:
        fail(f"{len(processes.workers(server.pid))} workers at the end, not {WORKERS}")
    _check_hub(soak, hub)
    if happened.import_code != 0:
        fail(f"nashra import exited {happened.import_code}: {happened.import_line}")
    else:
        _check_imported(soak, server)
    entries, problems = verify.fetch_feeds(server.url, SITE, _feeds(), EXTENSIONS)
    problems += verify.api_problems(server.url, SECRET, soak.ledger)
    checked, placed = verify.feed_problems(entries, soak.ledger, BASE["feeds"]["items"])
    soak.checked_placements = checked
    for problem in [*problems, *placed][:20]:
        fail(problem)
    for pid, growth in soak.memory.grown(soak.settled()).items():
        fail(f"process {pid} grew {growth:+.0%} past its warm-up (bound +{memory.GROWTH:.0%})")


def _check_hub(soak: Soak, hub: Hub) -> None:
    """The hub, once back, heard of every feed an acknowledged write changed while it was down."""
    happened = soak.trouble
    if happened.hub_down is None or happened.hub_up is None:
        soak.failures.append("the hub's outage did not happen")
        return
    feeds = soak.ledger.changed_between(happened.hub_down, happened.hub_up)
    soak.hub_feeds = len(feeds)
    topics = {f"{SITE}feeds/{feed}.{ext}" for feed in feeds for ext in EXTENSIONS}
    back = time.time() - (time.monotonic() - happened.hub_up)  # the hub stamps with time.time

    def missing(pings: list[Ping]) -> set[str]:
        return topics - {p.topic for p in pings if p.ok and p.at >= back}

    pings = hub.wait_for(lambda pings: not missing(pings), HUB_WAIT)
    soak.hub_pings = len(pings)
    if left := missing(pings):
        soak.failures.append(
            f"the hub never heard, after its outage, of {len(left)} topics changed meanwhile: "
            + ", ".join(sorted(left)[:5])
        )
    elif topics:
        heard = {}
        for ping in pings:
            if ping.ok and ping.at >= back and ping.topic in topics:
                heard.setdefault(ping.topic, ping.at)
        soak.hub_heard_after = max(heard.values()) - back


def _check_imported(soak: Soak, server: LiveServer) -> None:
    """A sample of the imported articles is in the store, through the API."""
    rng = random.Random(SEED)
    sample = rng.sample(range(soak.plan.import_size), min(IMPORT_SAMPLE, soak.plan.import_size))
    auth = {"Authorization": f"Bearer {SECRET}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:
        for index in sample:
            answer = client.get(f"/api/articles/{imported_id(index)}")
            if answer.status_code != 200:
                soak.failures.append(f"imported {imported_id(index)}: {answer.status_code}")


def _feeds() -> list[str]:
    return [c["slug"] for c in BASE["categories"]] + ["all", "breaking"]


def _exit(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
