"""``nashra sync wordpress``: keep the store in step with a WordPress site.

A sync reads the posts modified since the store's cursor, oldest first, a
page at a time, and commits each page with the new cursor in one
transaction (:meth:`Store.put_synced`), like an API write: feeds, caches and
WebSub pings follow at once, and a sync stopped anywhere (an error, a
signal, a crash) leaves the store as of its last page and resumes there.

The cursor is the newest ``modified_gmt`` committed. WordPress's
``modified_after`` is strict and counts whole seconds, so each request asks
for what was modified after *one second before* the cursor: a post edited
in the same second as the last one committed is read, not missed, at the
price of reading that second's posts again (they come back *unchanged*).
Pages are keyset-paged: the next request starts from the page's newest
modification, not at ``page=2``, so an edit made while the sync runs moves
a post to the end of the list without shifting another one past the sync.
Only when a whole page shares one second does the sync go on with
``page=2``, 3… of that same query. A post dated in the future (WordPress
sets a scheduled post's ``modified_gmt`` to its date) never moves the
cursor past the present, which would skip every edit until then.

What left public view (trashed, made private or draft, deleted) is found by
listing the public ids (``_fields=id,categories,tags``), at most once every
``[wordpress] removal_check`` seconds: stored ``wp-`` articles missing from
the list are removed. The same list shows posts that became public without
being modified, which the cursor cannot see (a scheduled post published by
WordPress's cron at its date, a draft published with ``wp_publish_post``):
those not in the store whose terms map to a configured category or mark
breaking news are read by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Never

from tqdm import tqdm

from feeds.config.settings import Settings
from feeds.ingest.pipeline import describe
from feeds.ingest.records import RecordError, validate_record
from feeds.ingest.sources.wordpress import WordPressClient, WordPressError
from feeds.ingest.sources.wordpress_mapping import (
    ID_PREFIX,
    WordPressPost,
    article_id,
    post_record,
    skip_reason,
    utc,
)
from store.clock import Clock, system_clock, utc_now
from store.protocol import Store
from store.types import Article, Outcome, SyncCursor

#: A second: WordPress compares ``modified_after`` in whole seconds, strictly.
OVERLAP = timedelta(seconds=1)
PROGRESS_MIN_POSTS = 500  # a progress bar for syncs of this many posts and more, on a terminal


@dataclass(slots=True)
class SyncSummary:
    """What a sync did; :meth:`line` is the line ``nashra sync`` prints."""

    counts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    seconds: float = 0.0
    _skipped_posts: set[int] = field(default_factory=set)

    def skip(self, post_id: int, reason: str) -> bool:
        """Count a post that makes no article, once per round however often it is read;
        whether it was the first time (and so is to be reported)."""
        if post_id in self._skipped_posts:
            return False
        self._skipped_posts.add(post_id)
        self.skipped[reason] += 1
        return True

    def add(self, outcomes: list[Outcome], removed: int) -> None:
        self.counts.update(outcome.value for outcome in outcomes)
        self.counts["removed"] += removed

    def line(self) -> str:
        c = self.counts
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items()))
        return (
            f"added {c['added']}, updated {c['updated']}, unchanged {c['unchanged']}, "
            f"stale {c['stale']}, removed {c['removed']}, "
            f"skipped {sum(self.skipped.values())}{f' ({skipped})' if skipped else ''}, "
            f"{self.requests} requests, {self.seconds:.2f} s"
        )


class WordPressSync:
    """Syncs one site into one store; :meth:`run` once per round."""

    def __init__(
        self,
        client: WordPressClient,
        store: Store,
        settings: Settings,
        report: Callable[[str], None],
        *,
        clock: Clock = system_clock,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.client = client
        self.store = store
        self.settings = settings
        self.report = report
        self.clock = clock
        self.stopping = stopping
        self.source = client.site

    async def run(self, *, full: bool = False) -> SyncSummary:
        """One round: every change since the cursor (everything with ``full``), then removals."""
        started = time.perf_counter()
        summary = SyncSummary()
        cursor = await self._cursor()
        requests_before = self.client.requests
        try:
            cursor = await self._changes(cursor, full, summary)
            if not self.stopping():
                await self._removals(cursor, full, summary)
        except SyncStopped:
            pass  # a signal during a wait to retry: that page is given up, the store as before it
        finally:
            summary.requests = self.client.requests - requests_before
            summary.seconds = time.perf_counter() - started
        return summary

    async def _cursor(self) -> SyncCursor:
        cursors = {c.source: c for c in await self.store.sync_cursors()}
        others = sorted(set(cursors) - {self.source})
        if others:
            raise WordPressError(
                f"this store already syncs {others[0]}: one WordPress site per store "
                f"(articles are {ID_PREFIX}{{post id}}); use another --db for {self.source}"
            )
        return cursors.get(self.source, SyncCursor(self.source))

    async def _changes(self, cursor: SyncCursor, full: bool, summary: SyncSummary) -> SyncCursor:
        after = None if full else cursor.modified
        page = 1
        bar: tqdm[Never] | None = None
        try:
            while not self.stopping():
                got = await self.client.posts(page, after - OVERLAP if after else None)
                if bar is None:
                    show = got.total >= PROGRESS_MIN_POSTS and sys.stderr.isatty()
                    bar = tqdm(total=got.total, unit="post", disable=not show, leave=False)
                assert bar is not None
                newest = max(
                    (m for p in got.posts if (m := utc(p.modified_gmt)) is not None), default=None
                )
                kept = min(newest, utc_now(self.clock)) if newest is not None else None
                if kept is not None and (cursor.modified is None or kept > cursor.modified):
                    cursor = SyncCursor(self.source, kept, cursor.checked)
                await self._commit(got.posts, [], cursor, summary)
                bar.update(len(got.posts))
                if len(got.posts) < self.client.per_page or page >= got.total_pages:
                    break
                if newest is not None and (after is None or newest > after):
                    after, page = newest, 1  # keyset: from the newest modification read
                else:
                    page += 1  # a whole page in one second: the next page of the same query
        finally:
            if bar is not None:
                bar.close()
        return cursor

    async def _removals(self, cursor: SyncCursor, full: bool, summary: SyncSummary) -> None:
        """Remove what left public view; read what became public unedited (module docstring)."""
        now = utc_now(self.clock)
        interval = timedelta(seconds=self.settings.wordpress.removal_check)
        if not full and cursor.checked is not None and now - cursor.checked < interval:
            return
        public = await self.client.public_posts()
        stored = set(await self.store.article_ids(ID_PREFIX))
        public_ids = {article_id(post_id) for post_id in public}
        gone = sorted(i for i in stored if i not in public_ids and i[len(ID_PREFIX) :].isdigit())
        wanted = await self._mapped_term_ids()
        unseen = sorted(
            post_id
            for post_id, terms in public.items()
            if article_id(post_id) not in stored and terms & wanted
        )
        checked = SyncCursor(self.source, cursor.modified, now)
        step = self.client.per_page
        for start in range(0, len(unseen), step):
            if self.stopping():
                return
            got = await self.client.posts(1, include=unseen[start : start + step])
            await self._commit(got.posts, [], cursor, summary)
        await self._commit([], gone, checked, summary)

    async def _mapped_term_ids(self) -> set[int]:
        """The WordPress categories and tags that make a post an article here."""
        wordpress = self.settings.wordpress
        categories = {s for c in self.settings.categories for s in c.wordpress_slugs}
        categories |= set(wordpress.breaking)
        ids = await self.client.term_ids("categories", categories)
        return ids | await self.client.term_ids("tags", set(wordpress.breaking))

    async def _commit(
        self,
        posts: list[WordPressPost],
        removed: list[str],
        cursor: SyncCursor,
        summary: SyncSummary,
    ) -> None:
        articles: list[Article] = []
        for post in posts:
            if reason := skip_reason(post, self.settings):
                summary.skip(post.id, reason)
                removed.append(article_id(post.id))  # moved out of every configured category
            elif article := self._article(post, summary):
                articles.append(article)
        outcomes, gone = await self.store.put_synced(articles, removed, cursor)
        summary.add(outcomes, gone)

    def _article(self, post: WordPressPost, summary: SyncSummary) -> Article | None:
        """The post's article; None, counted and reported, if it is invalid (the stored
        one, if any, stays: a post broken by an edit is no reason to retract it)."""
        where = f"post {post.id}"
        try:
            valid = validate_record(post_record(post, self.settings), self.settings, post.id)
        except RecordError as error:
            if not summary.skip(post.id, "invalid"):
                return None
            for problem in error.problems:
                self.report(describe(where, error.record_id, problem))
            return None
        for warning in valid.warnings:
            self.report("warning: " + describe(where, valid.article.id, warning))
        return valid.article


class SyncStopped(Exception):
    """A signal came while the sync waited to retry a request."""


async def _pause_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds`` before a retry (a ``Retry-After`` may say minutes), unless a signal
    comes first: then :class:`SyncStopped`, rather than make the person wait."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    if stop.is_set():
        raise SyncStopped


async def sync_site(
    url: str,
    store: Store,
    settings: Settings,
    report: Callable[[str], None],
    *,
    full: bool = False,
    every: float | None = None,
) -> SyncSummary:
    """Sync once, or every ``every`` seconds until SIGINT or SIGTERM; each round's line is
    reported, and the last round's summary returned.

    A signal lets the page being read finish and commit, then the sync ends; one that
    comes while a request waits to be retried ends it at once, that page not written.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    client = WordPressClient(url, settings.wordpress, sleep=partial(_pause_unless_stopped, stop))
    try:
        sync = WordPressSync(client, store, settings, report, stopping=stop.is_set)
        summary = await sync.run(full=full)
        while every is not None and not stop.is_set():
            report(summary.line())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if not stop.is_set():
                summary = await sync.run()
        return summary
    finally:
        await client.close()
        for number in signals:
            loop.remove_signal_handler(number)
