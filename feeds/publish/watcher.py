"""``nashra publish --watch``: keep the static site current until told to stop.

After the first full round, the watcher looks every :data:`POLL` seconds
at the store's commit watch (``PRAGMA data_version``: a few microseconds, no
I/O), which any process's commit moves: an import, the API of a
``nashra serve``, another worker. It also wakes at the soonest moment a
feed changes by itself (an embargo ending, a breaking article expiring).
Either way it publishes a round, in which only the feeds whose state moved
are rendered and only files whose bytes differ are replaced. Idle, it costs
four wake-ups a second.

It keeps nothing in the store: no outbox sink is registered for it, so a
publisher that never runs again leaves no queue behind; what it must
publish it reads from the feeds' versions when it starts.

A failing round (a full disk, a store that cannot be read) is reported once
and tried again every :data:`ERROR_PAUSE` seconds until it passes; SIGINT or
SIGTERM ends the watch after the round under way.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from feeds.publish.site import PublishRound, StaticSite
from store.clock import Clock
from store.errors import NashraError
from store.protocol import CommitWatch, Store

POLL = 0.25  # seconds between looks at the commit watch: well inside the 1 s promised
SOONEST = 0.01  # seconds: the shortest wait, so that a moment just missed is no busy loop
ERROR_PAUSE = 1.0  # seconds before trying a failed round again


async def keep_current(
    site: StaticSite,
    store: Store,
    clock: Clock,
    report: Callable[[PublishRound], None],
    complain: Callable[[str], None],
) -> None:
    """Publish everything, then a round after each commit or self-timed change.

    Until SIGINT or SIGTERM. The commit watch is opened before the first
    round, so a commit made during it is published by the next one. The
    first round's failure is raised: a watch that never published is no
    watch to keep running.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    watch = store.watch()
    try:
        report(await site.publish())
        await _watch(site, watch, clock, stop, report, complain)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        watch.close()


async def _watch(
    site: StaticSite,
    watch: CommitWatch,
    clock: Clock,
    stop: asyncio.Event,
    report: Callable[[PublishRound], None],
    complain: Callable[[str], None],
) -> None:
    failing: str | None = None  # the failure of the last round, if it failed
    while True:
        due = site.next_change_us()
        delay = POLL if due is None else min(POLL, max(SOONEST, due / 1e6 - clock()))
        if await _stopped(stop, ERROR_PAUSE if failing is not None else delay):
            return
        try:
            came = due is not None and clock() * 1_000_000 >= due
            if not (watch.changed() or came or failing is not None):
                continue
            done = await site.publish()
        except NashraError as error:
            if str(error) != failing:
                complain(str(error))
            failing = str(error)
            continue
        if failing is not None:
            complain(f"publishing to {site.root} works again")
            failing = None
        if done.written:
            report(done)


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds``, or less if told to stop; whether told to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
