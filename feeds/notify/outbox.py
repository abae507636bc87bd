"""The outbox worker: delivers "feed X changed" to one sink, reliably, in every process.

The store is the source of truth, not this process. Every write queues a
change per touched feed for every registered sink (the WebSub hub, the
caches to purge…) in the write's own transaction, whichever process made
it: an API request here, a ``nashra import`` elsewhere. An
:class:`OutboxWorker` runs per sink in each server worker and delivers what
is due:

- it looks at the queue when :meth:`OutboxWorker.wake` says this process
  just wrote, when the store's commit watch says any process committed
  (polled every :data:`POLL` seconds: the only news of another process's
  commits), or when the soonest queued change falls due;
- it claims due changes with a lease, so that several workers never deliver
  the same one twice, and one whose deliverer died is due again when its
  lease ends;
- it hands each to the sink, concurrently, within :data:`SEND_BUDGET`, and
  forgets it only after the sink succeeded; otherwise it is due again after
  an exponential backoff (:func:`retry_delay`), however long the sink fails;
- each feed is on its own: a sink that raises for one, or a timed change
  that is no date (see :meth:`OutboxWorker._convertible`), is logged once
  and set aside, and every other feed's changes still go;
- a sink may have to wait for another (``after``): WebSub subscribers are
  told of a feed's change only once every cache has been purged of it, or
  they would fetch the old feed from a cache. Its change of a feed is held
  while the other sink's change of that feed is due, being delivered, or
  failed (:class:`store.types.Hold`); the other sink's delivery is a commit,
  which wakes the waiting worker through the commit watch.

Feeds also change without a write: an embargoed article appears at its
published time, a breaking article leaves the breaking feed at its
``breaking_until``. The worker queues each feed's next such moment in
advance, due at that moment, so those changes get the same guarantees: they
survive a restart (or a moment that passes while no server runs), and the
lease keeps workers from delivering them twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Protocol

from store.clock import Clock, utc_now
from store.protocol import CommitWatch, Store
from store.types import Hold, from_us, to_us

log = logging.getLogger("nashra.outbox")

POLL = 0.2  # seconds between looks at the commit watch: the latency of another process's change
LEASE = 30.0  # seconds a claimed change is reserved for its deliverer
SEND_BUDGET = 20.0  # seconds a round may spend delivering: well inside the lease
FIRST_RETRY = 1.0  # seconds after a first failure; doubled after each further one
MAX_RETRY = 300.0  # the backoff's ceiling: a sink that comes back hears within 5 minutes
ERROR_PAUSE = 1.0  # seconds before trying again after the store itself failed


class Sink(Protocol):
    """Where changes go: a name (its key in the outbox) and one delivery per feed."""

    @property
    def name(self) -> str: ...

    async def deliver(self, feed: str) -> list[str]:
        """Tell the sink that ``feed`` changed; what went wrong (nothing: delivered)."""
        ...

    async def close(self) -> None: ...


def retry_delay(attempts: int) -> float:
    """Seconds before retrying a change that has now failed ``attempts + 1`` times.

    1, 2, 4, … seconds, at most :data:`MAX_RETRY`. The ±10 % jitter spreads
    the retries of changes that failed together, so a sink that is
    struggling is not hit by all of them again at the same instant.
    """
    delay = FIRST_RETRY * (1 << min(attempts, 16)) * random.uniform(0.9, 1.1)
    return min(MAX_RETRY, delay)


class OutboxWorker:
    """Delivers one sink's queued changes from a background task; see the module docstring.

    ``feeds`` are the feeds that exist: a change queued for a feed no longer
    configured is dropped, since nobody can be subscribed to it. ``clock``
    dates claims, retries and the feeds' self-timed changes. ``after``: the
    sink whose change of a feed must be delivered before this one's.
    """

    def __init__(
        self,
        store: Store,
        sink: Sink,
        feeds: Collection[str],
        clock: Clock,
        after: str | None = None,
    ) -> None:
        self.store, self.sink, self.feeds, self.clock = store, sink, feeds, clock
        self.after = after
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # each feed's next self-timed change (µs) as this worker last queued it
        self._timed: dict[str, int] = {}
        # each feed's timed change (µs) that is no datetime, as last logged
        self._set_aside: dict[str, int] = {}

    async def start(self) -> None:
        """Register the sink and start the background task; what is due goes right away."""
        await self.store.register_sink(self.sink.name)
        self._task = asyncio.create_task(
            self._run(self.store.watch()), name=f"nashra-outbox-{self.sink.name}"
        )

    def wake(self) -> None:
        """A write was just committed in this process: look at the queue now."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop the background task (pending changes stay queued in the store).

        A delivery cut short keeps its lease: it is due again, for any worker
        or the next server, when the lease ends.
        """
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
            self._task = None
        await self.sink.close()

    async def _run(self, watch: CommitWatch) -> None:
        """Round after round until cancelled; a failing round is logged, never fatal.

        A failure that repeats round after round (a store whose file is gone)
        is logged with its traceback once, then once more only when it ends or
        changes: not every second.
        """
        failing: str | None = None  # the failure of the last round, if it failed
        try:
            while True:
                try:
                    until = await self._round()
                    await self._wait(until, watch)
                except Exception as error:
                    failing = self._log_failure(error, failing)
                    await asyncio.sleep(ERROR_PAUSE)
                    continue
                if failing is not None:
                    log.warning("%s: the outbox answers again", self.sink.name)
                    failing = None
        finally:
            watch.close()

    def _log_failure(self, error: Exception, previous: str | None) -> str:
        """Log ``error`` unless it is the one the previous round failed with; its text."""
        text = f"{type(error).__name__}: {error}"
        if text != previous:
            log.exception("%s: looking at the outbox failed; trying again", self.sink.name)
        return text

    async def _wait(self, until: float, watch: CommitWatch) -> None:
        """Until a wake-up, a commit by any process, or the clock reaching ``until``."""
        while not (self._wake.is_set() or watch.changed()):
            remaining = until - self.clock()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(POLL, remaining))
        self._wake.clear()

    async def _round(self) -> float:
        """Queue upcoming timed changes, deliver what is due; when to look again.

        Claiming is a write, so it is done only when something is due: a round
        with nothing to deliver commits only when a feed's next timed change
        moved, and so does not wake every worker's commit watch in turn.
        """
        now = utc_now(self.clock)  # one reading, in the store's microseconds, for the round
        next_change = await self._queue_timed_changes(now)
        hold = None
        if self.after is not None:  # pending: due now, claimed or failed
            hold = Hold(self.after, to_us(now))
        due = await self.store.next_change_due(self.sink.name, hold)
        if due is not None and due <= now:
            await self._deliver_due(now, hold)
            due = await self.store.next_change_due(self.sink.name, hold)
        return min(next_change, due.timestamp() if due is not None else math.inf)

    async def _queue_timed_changes(self, now: datetime) -> float:
        """Queue, due then, each feed's next self-timed change; the soonest one (or inf).

        The outbox keeps one row per sink and feed, at the earliest due time,
        so a write delivered before the moment can delete the row that held
        it: the worker then forgets what it had queued for the feed (see
        :meth:`_deliver`) and queues it again here, on the round its own
        commit triggers.
        """
        times = await self.store.feed_times(now)
        upcoming: dict[str, int] = {}
        by_moment: dict[int, list[str]] = {}
        for feed, t in times.items():
            if (
                t.next_us is None
                or feed not in self.feeds
                or not self._convertible(feed, t.next_us)
            ):
                continue
            upcoming[feed] = t.next_us
            if self._timed.get(feed) != t.next_us:
                by_moment.setdefault(t.next_us, []).append(feed)
        for moment, feeds in by_moment.items():
            await self.store.queue_changes(self.sink.name, feeds, from_us(moment))
        self._timed = upcoming
        return min(upcoming.values(), default=math.inf) / 1_000_000

    def _convertible(self, feed: str, moment: int) -> bool:
        """Whether ``moment`` (µs) is a datetime; if not, the feed's timed change is set aside.

        Validation keeps such dates out, but an older nashra stored some (an
        article dated 9999-12-31T23:59:59-12:00 is year 10000 in UTC). One
        feed's bad value must not stop every other feed's changes: it is
        logged once, and skipped until the feed's next change moves.
        """
        try:
            from_us(moment)
        except (OverflowError, ValueError):
            if self._set_aside.get(feed) != moment:
                self._set_aside[feed] = moment
                log.error(
                    "%s: feed %r has a timed change at %d µs after 1970, which is no date: "
                    "set aside (remove or fix the article dated then)",
                    self.sink.name, feed, moment,
                )  # fmt: skip
            return False
        self._set_aside.pop(feed, None)
        return True

    async def _deliver_due(self, claimed_at: datetime, hold: Hold | None) -> None:
        claimed = await self.store.claim_changes(self.sink.name, claimed_at, LEASE, hold)
        deadline = asyncio.get_running_loop().time() + SEND_BUDGET
        results = await asyncio.gather(
            *(self._deliver(c.feed, c.attempts, claimed_at, deadline) for c in claimed),
            return_exceptions=True,
        )
        for claim, result in zip(claimed, results, strict=True):
            if isinstance(result, Exception):  # e.g. the store failed: due when the lease ends
                log.error(
                    "%s: delivering feed %r broke off: %r", self.sink.name, claim.feed, result
                )

    async def _deliver(
        self, feed: str, attempts: int, claimed_at: datetime, deadline: float
    ) -> None:
        """Deliver one claimed change; record success or schedule a retry."""
        sink = self.sink.name
        if feed not in self.feeds:  # no longer configured: nobody can be subscribed to it
            await self.store.change_sent(sink, feed, claimed_at, LEASE)
            return
        try:
            async with asyncio.timeout_at(deadline):
                failures = await self.sink.deliver(feed)
        except TimeoutError:
            failures = [f"no answer within {SEND_BUDGET:.0f} s"]
        except Exception as raised:  # a sink's bug for this feed: a failure like any other
            if not attempts:  # its traceback once; the retries below say what it was
                log.exception("%s: delivering feed %r raised", sink, feed)
            failures = [f"{type(raised).__name__}: {raised}"]
        if not failures:
            await self.store.change_sent(sink, feed, claimed_at, LEASE)
            self._timed.pop(feed, None)  # the row may have held its next timed change
            return
        delay = retry_delay(attempts)
        retry_at = datetime.fromtimestamp(self.clock() + delay, UTC)
        error = "; ".join(failures)
        await self.store.change_failed(sink, feed, claimed_at, LEASE, retry_at, error)
        log.warning(
            "%s: delivering feed %r failed (attempt %d: %s); retrying in %.1f s",
            sink, feed, attempts + 1, error, delay,
        )  # fmt: skip
