"""The outbox: a write queues "feed X changed" for every registered sink; senders lease them.

The store's clock stands at :data:`NOW` unless a test moves it, so a write's
change is due at a known time.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from store.sqlite.store import SQLiteStore
from store.types import Claim, Hold, to_us
from tests.support.builders import NOW, article
from tests.support.clock import Clock
from tests.support.store import run

LEASE = 30.0
SECOND = timedelta(seconds=1)
BOTH = [Claim("all", 0), Claim("politics", 0)]  # the feeds of article(1), never attempted


def test_a_write_queues_its_feeds_for_every_registered_sink_and_no_other(tmp_path: Path) -> None:
    async def scenario(store: SQLiteStore) -> None:
        await store.put_articles([article(1)])  # before any sink: nobody to tell
        assert await store.next_change_due("websub") is None
        await store.register_sink("websub")
        await store.register_sink("cdn")
        await store.register_sink("websub")  # registering again changes nothing
        await store.put_articles([article(3)])  # politics and all
        for sink in ("websub", "cdn"):
            assert await store.next_change_due(sink) == NOW, sink
            assert sorted(await store.claim_changes(sink, NOW, LEASE)) == BOTH, sink
        assert await store.claim_changes("other", NOW, LEASE) == []
        assert await store.next_change_due("other") is None

    run(scenario, tmp_path / "s.db", Clock.at(NOW))


def test_a_claim_leases_its_changes_until_sent(tmp_path: Path) -> None:
    async def scenario(store: SQLiteStore) -> None:
        await store.register_sink("websub")
        await store.register_sink("cdn")
        await store.put_articles([article(1)])
        assert sorted(await store.claim_changes("websub", NOW, LEASE)) == BOTH
        assert await store.claim_changes("websub", NOW + 29 * SECOND, LEASE) == []
        assert await store.next_change_due("websub") == NOW + LEASE * SECOND
        # a sender that died: its changes are due again when the lease ends, attempts unchanged
        again = NOW + LEASE * SECOND
        assert sorted(await store.claim_changes("websub", again, LEASE)) == BOTH
        for feed in ("all", "politics"):
            await store.change_sent("websub", feed, again, LEASE)
        assert await store.next_change_due("websub") is None
        assert await store.claim_changes("websub", again + 999 * SECOND, LEASE) == []
        assert sorted(await store.claim_changes("cdn", NOW, LEASE)) == BOTH  # each sink its own

    run(scenario, tmp_path / "s.db", Clock.at(NOW))


def test_a_change_queued_while_its_feed_is_being_sent_is_not_forgotten(tmp_path: Path) -> None:
    clock = Clock.at(NOW)

    async def scenario(store: SQLiteStore) -> None:
        await store.register_sink("websub")
        await store.put_articles([article(1)])
        await store.claim_changes("websub", NOW, LEASE)
        clock.advance(1)
        await store.put_articles([article(1, title="corrected", updated=NOW)])  # meanwhile
        for feed in ("all", "politics"):
            await store.change_sent("websub", feed, NOW, LEASE)  # the older version went out
        assert await store.next_change_due("websub") == NOW + SECOND
        assert sorted(await store.claim_changes("websub", NOW + SECOND, LEASE)) == BOTH

    run(scenario, tmp_path / "s.db", clock)


def test_a_failed_change_is_due_at_its_retry_with_the_attempt_counted(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    async def scenario(store: SQLiteStore) -> None:
        await store.register_sink("websub")
        await store.put_articles([article(1)])
        await store.claim_changes("websub", NOW, LEASE)
        retry = NOW + 5 * SECOND
        await store.change_sent("websub", "all", NOW, LEASE)
        await store.change_failed("websub", "politics", NOW, LEASE, retry, "HTTP 503")
        assert await store.next_change_due("websub") == retry
        assert await store.claim_changes("websub", retry - SECOND, LEASE) == []
        assert await store.claim_changes("websub", retry, LEASE) == [Claim("politics", 1)]

    run(scenario, path, Clock.at(NOW))
    assert _outbox(path) == [("websub", "politics", 1, "HTTP 503")]


def test_a_failure_does_not_put_off_a_change_queued_meanwhile(tmp_path: Path) -> None:
    clock = Clock.at(NOW)

    async def scenario(store: SQLiteStore) -> None:
        await store.register_sink("websub")
        await store.put_articles([article(1)])
        await store.claim_changes("websub", NOW, LEASE)
        clock.advance(1)
        await store.put_articles([article(1, title="corrected", updated=NOW)])  # meanwhile
        retry = NOW + 60 * SECOND
        await store.change_failed("websub", "politics", NOW, LEASE, retry, "HTTP 503")
        assert await store.next_change_due("websub") == NOW + SECOND
        claimed = await store.claim_changes("websub", NOW + SECOND, LEASE)
        assert sorted(claimed) == [Claim("all", 0), Claim("politics", 1)]

    run(scenario, tmp_path / "s.db", clock)


def test_queued_changes_keep_the_soonest_due_time_and_only_for_registered_sinks(
    tmp_path: Path,
) -> None:
    async def scenario(store: SQLiteStore) -> None:
        await store.register_sink("websub")
        for offset in (10, 20, 5, 7):
            await store.queue_changes("websub", ["economy", "all"], NOW + offset * SECOND)
            await store.queue_changes("other", ["economy"], NOW)
        assert await store.next_change_due("websub") == NOW + 5 * SECOND
        assert await store.claim_changes("websub", NOW + 4 * SECOND, LEASE) == []
        assert sorted(await store.claim_changes("websub", NOW + 5 * SECOND, LEASE)) == [
            Claim("all", 0),
            Claim("economy", 0),
        ]
        assert await store.next_change_due("other") is None

    run(scenario, tmp_path / "s.db", Clock.at(NOW))


def _outbox(path: Path) -> list[tuple[str, str, int, str | None]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "SELECT sink, feed, attempts, last_error FROM outbox ORDER BY sink, feed"
        ).fetchall()


def test_a_hold_keeps_a_feeds_change_back_while_the_first_sinks_change_is_pending(
    tmp_path: Path,
) -> None:
    async def scenario(store: SQLiteStore) -> None:
        await store.register_sink("cdn")
        await store.register_sink("websub")
        await store.put_articles([article(1)])  # politics and all, due NOW for both sinks

        def hold(at: datetime) -> Hold:  # as the worker makes it
            return Hold("cdn", to_us(at))

        assert await store.next_change_due("websub", hold(NOW)) is None  # due, not purged
        assert await store.claim_changes("websub", NOW, LEASE, hold(NOW)) == []
        claimed = await store.claim_changes("cdn", NOW, LEASE)  # being purged: still held
        assert sorted(claimed) == BOTH
        assert await store.claim_changes("websub", NOW, LEASE, hold(NOW)) == []
        await store.change_sent("cdn", "all", NOW, LEASE)
        retry = NOW + 5 * SECOND
        await store.change_failed("cdn", "politics", NOW, LEASE, retry, "HTTP 503")
        assert await store.next_change_due("websub", hold(NOW)) == NOW  # all: purged
        assert await store.claim_changes("websub", NOW, LEASE, hold(NOW)) == [Claim("all", 0)]
        await store.change_sent("websub", "all", NOW, LEASE)
        later = NOW + 60 * SECOND  # politics: its purge failed, held until it succeeds
        assert await store.claim_changes("websub", later, LEASE, hold(later)) == []
        assert await store.claim_changes("websub", later, LEASE) == [Claim("politics", 0)]
        # a change of the first sink far ahead (an embargo's end) holds nothing now
        await store.queue_changes("cdn", ["economy"], NOW + 3600 * SECOND)
        await store.queue_changes("websub", ["economy"], NOW)
        assert await store.claim_changes("websub", NOW, LEASE, hold(NOW)) == [Claim("economy", 0)]
        # nor does one due within a lease (a breaking expiry in 20 s): the
        # write's ping goes as soon as its purge is done, not at that moment
        await store.queue_changes("cdn", ["sports"], NOW + 20 * SECOND)
        await store.queue_changes("websub", ["sports"], NOW)
        assert await store.claim_changes("websub", NOW, LEASE, hold(NOW)) == [Claim("sports", 0)]

    run(scenario, tmp_path / "s.db", Clock.at(NOW))
