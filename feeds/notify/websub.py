"""WebSub publisher: telling the hub about every change to a feed (W3C WebSub §7).

The store is the source of truth, not this process. Every write queues a
notification per touched feed in the write's own transaction, once this
notifier has registered its sink (see
:mod:`store.sqlite.outbox`), whichever process made it: an API request here, a
``nashra import`` elsewhere. A :class:`HubNotifier` runs in each server
worker and sends what is due:

- it looks at the queue when :meth:`HubNotifier.wake` says this process just
  wrote, when the store's commit watch says any process committed (polled
  every :data:`POLL` seconds: the only news of another process's commits), or
  when the soonest queued notification falls due;
- it claims due rows with a lease, so that several workers never send the same
  one twice, and one whose sender died is due again when its lease ends;
- it sends one ``hub.mode=publish`` request per topic (each feed has two, its
  RSS and Atom URLs: one request per topic is what every hub accepts),
  concurrently but bounded, and forgets a row only after a 2xx for every topic
  of its feed; otherwise the row is due again after an exponential backoff
  (:func:`retry_delay`), however long the hub stays down.

Feeds also change without a write: an embargoed article appears at its
published time, a breaking article leaves the breaking feed at its
``breaking_until``. The notifier queues each feed's next such moment in
advance, due at that moment, so those notifications get the same guarantees:
they survive a restart (or a moment that passes while no server runs), and
the lease keeps workers from sending them twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx2 as httpx

from feeds.http.cache import VERSION, Clock
from feeds.model.spec import FORMATS, FeedSpec
from store.sqlite.store import SQLiteStore
from store.sqlite.watch import CommitWatch
from store.types import from_us

log = logging.getLogger(__name__)

SINK = "websub"  # this notifier's name in the store's outbox

POLL = 0.2  # seconds between looks at the commit watch: the latency of another process's change
LEASE = 30.0  # seconds a claimed notification is reserved for its sender
SEND_BUDGET = 20.0  # seconds a round may spend sending: well inside the lease
REQUEST_TIMEOUT = 5.0  # seconds for each phase (connect, write, read) of one request
CONCURRENCY = 8  # requests in flight to the hub at once
FIRST_RETRY = 1.0  # seconds after a first failure; doubled after each further one
MAX_RETRY = 300.0  # the backoff's ceiling: a hub that comes back hears within 5 minutes
ERROR_PAUSE = 1.0  # seconds before trying again after the store itself failed


def retry_delay(attempts: int) -> float:
    """Seconds before retrying a notification that has now failed ``attempts + 1`` times.

    1, 2, 4, … seconds, at most :data:`MAX_RETRY`. The ±10 % jitter spreads
    the retries of notifications that failed together, so a hub that is
    struggling is not hit by all of them again at the same instant.
    """
    delay = FIRST_RETRY * 2 ** min(attempts, 16) * random.uniform(0.9, 1.1)
    return min(MAX_RETRY, delay)


class HubNotifier:
    """Sends queued hub notifications from a background task; see the module docstring.

    ``clock`` (epoch seconds, like :func:`time.time`) dates claims, retries
    and the feeds' self-timed changes, so tests can move time.
    """

    def __init__(
        self, store: SQLiteStore, specs: Mapping[str, FeedSpec], hub: str, clock: Clock
    ) -> None:
        self.store, self.specs, self.hub, self.clock = store, specs, hub, clock
        self._client = httpx.AsyncClient(
            timeout=REQUEST_TIMEOUT,
            headers={"User-Agent": f"nashra/{VERSION} (WebSub publisher)"},
        )
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # each feed's next self-timed change (µs) as this notifier last queued it
        self._timed: dict[str, int] = {}

    async def start(self) -> None:
        """Register the sink and start the background task; it sends what is already due at once.

        Registering (idempotent) is what makes every write, by any process,
        queue a notification from now on.
        """
        await self.store.register_sink(SINK)
        self._task = asyncio.create_task(self._run(self.store.watch()), name="nashra-websub")

    def wake(self) -> None:
        """A write was just committed in this process: look at the queue now."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop the background task (pending notifications stay queued in the store).

        A send cut short keeps its lease: it is due again, for any worker or
        the next server, when the lease ends.
        """
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
            self._task = None
        await self._client.aclose()

    async def _run(self, watch: CommitWatch) -> None:
        """Round after round until cancelled; a failing round is logged, never fatal."""
        try:
            while True:
                try:
                    until = await self._round()
                except Exception:
                    log.exception("WebSub: looking at the hub queue failed; trying again")
                    until = self.clock() + ERROR_PAUSE
                await self._wait(until, watch)
        finally:
            watch.close()

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
        """Queue upcoming timed changes, send what is due; when to look again.

        Claiming is a write, so it is done only when something is due: a round
        with nothing to send commits nothing, and so does not wake every
        worker's commit watch in turn.
        """
        now = self.clock()
        next_change = await self._queue_timed_changes(now)
        due = await self.store.next_change_due(SINK)
        if due is not None and due.timestamp() <= now:
            await self._send_due(now)
            due = await self.store.next_change_due(SINK)
        return min(next_change, due.timestamp() if due is not None else math.inf)

    async def _queue_timed_changes(self, now: float) -> float:
        """Queue, due then, each feed's next self-timed change; the soonest one (or inf).

        The queue keeps one row per feed at the earliest due time, so a write
        notified before the moment can delete the row that held it: the
        sender then forgets what it had queued for the feed (see
        :meth:`_deliver`) and queues it again here, on the round its own
        commit triggers.
        """
        times = await self.store.feed_times(datetime.fromtimestamp(now, UTC))
        upcoming = {
            feed: t.next_us
            for feed, t in times.items()
            if t.next_us is not None and feed in self.specs
        }
        by_moment: dict[int, list[str]] = {}
        for feed, moment in upcoming.items():
            if self._timed.get(feed) != moment:
                by_moment.setdefault(moment, []).append(feed)
        for moment, feeds in by_moment.items():
            await self.store.queue_changes(SINK, feeds, from_us(moment))
        self._timed = upcoming
        return min(upcoming.values(), default=math.inf) / 1_000_000

    async def _send_due(self, now: float) -> None:
        claimed_at = datetime.fromtimestamp(now, UTC)
        claimed = await self.store.claim_changes(SINK, claimed_at, LEASE)
        deadline = asyncio.get_running_loop().time() + SEND_BUDGET
        results = await asyncio.gather(
            *(self._deliver(feed, attempts, claimed_at, deadline) for feed, attempts in claimed),
            return_exceptions=True,
        )
        for (feed, _), result in zip(claimed, results, strict=True):
            if isinstance(result, Exception):  # e.g. the store failed: due when the lease ends
                log.error("WebSub: notifying the hub of feed %r broke off: %r", feed, result)

    async def _deliver(
        self, feed: str, attempts: int, claimed_at: datetime, deadline: float
    ) -> None:
        """Notify the hub of both of ``feed``'s topics; record success or schedule a retry."""
        spec = self.specs.get(feed)
        if spec is None:  # no longer configured: nobody can be subscribed to it
            await self.store.change_sent(SINK, feed, claimed_at, LEASE)
            return
        try:
            async with asyncio.timeout_at(deadline):
                errors = await asyncio.gather(*(self._publish(spec.url(fmt)) for fmt in FORMATS))
        except TimeoutError:
            errors = [f"no answer within {SEND_BUDGET:.0f} s"]
        failures = [error for error in errors if error is not None]
        if not failures:
            await self.store.change_sent(SINK, feed, claimed_at, LEASE)
            self._timed.pop(feed, None)  # the row may have held its next timed change
            return
        delay = retry_delay(attempts)
        retry_at = datetime.fromtimestamp(self.clock() + delay, UTC)
        error = "; ".join(failures)
        await self.store.change_failed(SINK, feed, claimed_at, LEASE, retry_at, error)
        log.warning(
            "WebSub: notifying the hub of feed %r failed (attempt %d: %s); retrying in %.1f s",
            feed, attempts + 1, error, delay,
        )  # fmt: skip

    async def _publish(self, topic: str) -> str | None:
        """POST ``hub.mode=publish`` for ``topic``; None on a 2xx, else what went wrong.

        The description names no URL: the hub's may carry a secret.
        """
        async with self._limit:
            try:
                response = await self._client.post(
                    self.hub, data={"hub.mode": "publish", "hub.url": topic}
                )
            except httpx.HTTPError as error:
                return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        if response.is_success:
            return None
        return f"HTTP {response.status_code}"
