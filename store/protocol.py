"""The interface ``feeds`` depends on: what a store does, not how.

``feeds`` imports this protocol and the value types of :mod:`store.types`,
never a concrete store; the embedded SQLite store (:mod:`store.sqlite`) is
one implementation, chosen where the application is put together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from store.types import Article, Claim, FeedTimes, Hold, Outcome, Prepared, SyncCursor


class CommitWatch(Protocol):
    """Says, cheaply, whether any other connection committed since it last said."""

    def changed(self) -> bool: ...

    def close(self) -> None: ...


class StagedImport(Protocol):
    """An import in progress: articles staged where no feed sees them, then published at once.

    Until :meth:`publish` commits, nothing of the import is visible and no
    outbox change is queued; a process killed before that leaves only
    invisible staged articles, which the store removes when it is next opened.
    """

    @property
    def stager(self) -> Callable[[Sequence[tuple[int, Prepared]]], None]:
        """A picklable callable that stages articles (readied by the store's ``preparer``).

        Each article comes with its number in the import, unique and in
        source order; a call is one short transaction, so it may run in
        several worker processes at once.
        """
        ...

    async def publish(self) -> dict[Outcome, int]:
        """Make every staged article visible in one transaction; how many had each outcome.

        Outcomes are decided as :meth:`Store.put_prepared` decides them, in
        source order, against the store as it is when publishing.
        """
        ...

    async def discard(self) -> None:
        """Forget the staged articles; nothing of the import was ever visible."""
        ...


class Store(Protocol):
    """Articles, feed versions and the outbox of feed changes.

    Every write stamps its time from the store's clock, bumps the version of
    every feed it touches, and queues a change for every registered outbox
    sink, all in one transaction.
    """

    @property
    def store_id(self) -> str:
        """A random id made when the store was created: part of every ETag."""
        ...

    @property
    def created(self) -> datetime:
        """When the store was created: the change time of a feed never written."""
        ...

    @property
    def preparer(self) -> Callable[[Article], Prepared]:
        """A module-level (picklable) function that readies an article for :meth:`put_prepared`.

        ``nashra import`` calls it in its validation worker processes, so the
        single writer only runs SQL.
        """
        ...

    async def close(self) -> None: ...

    # -- reads

    def changed(self) -> bool:
        """Whether any other connection committed since the last call (a few µs)."""
        ...

    def watch(self) -> CommitWatch:
        """A commit watch of its own, for a consumer other than the feed cache."""
        ...

    async def feed_times(self, now: datetime) -> dict[str, FeedTimes]:
        """Every written feed's version and self-timed changes around ``now``."""
        ...

    async def feed_articles(self, feed: str, limit: int, now: datetime) -> list[Article]:
        """The newest ``limit`` articles of ``feed`` visible at ``now``, newest first."""
        ...

    async def get_article(self, article_id: str) -> Article | None: ...

    async def count_articles(self) -> int: ...

    async def article_ids(self, prefix: str) -> list[str]:
        """The ids of the stored articles that start with ``prefix``, sorted."""
        ...

    async def sync_cursors(self) -> list[SyncCursor]:
        """Every sync's cursor (:meth:`put_synced`), by source."""
        ...

    async def backup(self, target: Path) -> None:
        """A consistent copy of the store, as of the last commit, in the new file ``target``.

        Writers go on meanwhile; the copy is whole or absent, never half written.
        """
        ...

    async def ping(self) -> None:
        """Raise :class:`~store.errors.StoreError` unless the store answers and can keep writes.

        :class:`~store.errors.StoreFileLost` when what it writes would be lost
        (the SQLite store: its file deleted or replaced since it opened).
        """
        ...

    # -- writes

    async def put_articles(
        self,
        articles: Sequence[Article],
        expected: Mapping[str, frozenset[str] | None] | None = None,
    ) -> list[Outcome]:
        """Add or replace ``articles`` in one transaction; the outcome of each, in order.

        ``expected`` maps ids to the feeds the caller saw them in (None:
        absent); if any differs now, :class:`~store.errors.StoreConflict` is
        raised and nothing is written.
        """
        ...

    async def put_prepared(self, articles: Sequence[Prepared]) -> list[Outcome]:
        """Like :meth:`put_articles`, for articles readied by :attr:`preparer`."""
        ...

    async def delete_article(self, article_id: str, expected: frozenset[str] | None = None) -> bool:
        """Remove an article from the store and every feed; whether it existed."""
        ...

    async def put_synced(
        self, articles: Sequence[Article], removed: Sequence[str], cursor: SyncCursor
    ) -> tuple[list[Outcome], int]:
        """One step of a sync, in one transaction: add or replace ``articles``,
        delete the ``removed`` ids, and keep ``cursor`` for its source.

        The outcome of each article, in order, and how many removed ids
        existed. All or nothing: a sync stopped between two steps resumes
        from the last cursor with every article it covers written.
        """
        ...

    async def start_import(self) -> StagedImport:
        """Register a new import; stage its articles with the :class:`StagedImport` returned."""
        ...

    # -- the outbox: "feed X changed", once per sink

    async def register_sink(self, sink: str) -> None:
        """From now on, every write queues a change per touched feed for ``sink``."""
        ...

    async def claim_changes(
        self, sink: str, now: datetime, lease: float, hold: Hold | None = None
    ) -> list[Claim]:
        """The feeds whose change is due for ``sink``, each leased for ``lease`` seconds.

        With ``hold``, a feed whose change of ``hold.sink`` is pending waits.
        """
        ...

    async def change_sent(self, sink: str, feed: str, claimed_at: datetime, lease: float) -> None:
        """Forget a claimed change, unless a newer one was queued meanwhile."""
        ...

    async def change_failed(
        self,
        sink: str,
        feed: str,
        claimed_at: datetime,
        lease: float,
        retry_at: datetime,
        error: str,
    ) -> None:
        """Count a failed attempt; the change is due again at ``retry_at``."""
        ...

    async def next_change_due(self, sink: str, hold: Hold | None = None) -> datetime | None:
        """When ``sink``'s soonest queued change is due, if any, leaving out those held."""
        ...

    async def queue_changes(self, sink: str, feeds: Sequence[str], due: datetime) -> None:
        """Queue changes that come by time, not by a write (an embargo ending)."""
        ...
