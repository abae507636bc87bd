"""Feed states and rendered feeds, held in memory.

A feed's HTTP validators come from its state: its version in the store and
the moments its content changes by itself (an embargo ending, a breaking
article expiring). This cache reloads the states only when the store says
another connection committed, or when such a moment has come: so a 304, or
a repeated GET of an unchanged feed, reads no article and renders nothing.
Each feed is rendered once per state and format; concurrent requests for a
feed being rendered wait for that one render (single flight). Compressed
bodies are made once, on first demand, and kept beside the plain one.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import brotli

from feeds.config.settings import Settings
from feeds.formats.base import FeedDocument, FeedFormat
from feeds.formats.registry import FORMATS, HTML_VIEW
from feeds.http.conditional import Encoding, etag
from feeds.model.entries import EntryView, entry_view
from feeds.model.spec import FeedSpec
from feeds.version import __version__
from store.clock import Clock, utc_now
from store.protocol import Store
from store.types import to_us


@dataclass(frozen=True, slots=True)
class FeedState:
    """What a feed's validators are made of, known without reading its articles.

    ``changed_us`` is when its visible content last changed, by a write or
    by time (an embargo ending, a breaking article expiring); ``next_us`` is
    when it next changes by time, if ever: no cache may keep it past that.
    """

    version: int
    changed_us: int
    etag_base: str  # the store, the settings, nashra's version and the state
    next_us: int | None = None

    def etag(self, fmt: FeedFormat, encoding: Encoding) -> str:
        """The strong ETag of the feed at this state in ``fmt`` and ``encoding``."""
        return etag(f"{self.etag_base}.{fmt.extension}", encoding)


@dataclass(slots=True)
class RenderedFeed:
    """A feed's bytes for one state and format, and their compressed forms."""

    state: FeedState
    body: bytes
    render_ms: float  # the time it took to query and render, for Server-Timing
    _encoded: dict[Encoding, bytes] = field(default_factory=dict)

    def encoded(self, encoding: Encoding) -> bytes:
        if encoding == "identity":
            return self.body
        if encoding not in self._encoded:
            self._encoded[encoding] = compress(self.body, encoding)
        return self._encoded[encoding]


def compress(body: bytes, encoding: Encoding) -> bytes:
    """``body`` in a content coding other than identity, as every feed is sent in it."""
    if encoding == "gzip":
        return gzip.compress(body, 6, mtime=0)
    encoded: bytes = brotli.compress(body, quality=5)
    return encoded


class FeedCache:
    """The current state of every feed, and its rendered bytes."""

    def __init__(self, store: Store, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._titles = {c.slug: c.title for c in settings.categories}
        # every input of a feed's bytes besides its state: the store, the settings,
        # and nashra itself (its version is in the generator element)
        self._etag_prefix = f"{store.store_id}.{settings.fingerprint()}.{__version__}."
        self._states: dict[str, FeedState] | None = None
        self._next_change_us: int | None = None  # the soonest self-timed change of any feed
        self._asked_this_turn = False
        self._loading: asyncio.Future[None] | None = None
        self._rendered: dict[tuple[str, str], RenderedFeed] = {}  # by feed and extension
        self._rendering: dict[tuple[str, str, FeedState], asyncio.Future[RenderedFeed]] = {}
        # the entries of each feed's latest render: the other format's render reuses them
        self._entries: dict[str, tuple[FeedState, list[EntryView]]] = {}
        self._never_written = FeedState(0, to_us(store.created), f"{self._etag_prefix}0")

    def current(self, key: str, now: float) -> FeedState | None:
        """The feed's state if it is known to be current at ``now``, without waiting; else None.

        Known means: no connection committed since the states were read, and
        no feed's self-timed change has come since.
        """
        if (
            self._states is None
            or self._store_changed()
            or (self._next_change_us is not None and now * 1_000_000 >= self._next_change_us)
        ):
            self._states = None
            return None
        return self._states.get(key, self._never_written)

    def _store_changed(self) -> bool:
        """Whether another connection committed: asked once per turn of the event loop.

        Every request handled in one turn was received before the turn began,
        so one answer serves them all: a commit that lands after it is news
        only to requests that arrive after it, and those are handled in a
        later turn, which asks again. Under load this spares most requests the
        ``PRAGMA data_version`` statement (4 us, more than the rest of a 304).
        """
        if self._asked_this_turn:
            return False
        self._asked_this_turn = True
        asyncio.get_running_loop().call_soon(self._next_turn)
        return self._store.changed()

    def _next_turn(self) -> None:
        self._asked_this_turn = False

    async def state(self, key: str) -> FeedState:
        """The feed's current state, fresh as of the latest commit by any process."""
        while (found := self.current(key, self._clock())) is None:
            if self._loading is None:
                self._loading = asyncio.ensure_future(self._load())
            loading = self._loading
            try:
                await asyncio.shield(loading)
            finally:
                if self._loading is loading and loading.done():
                    self._loading = None
        return found

    async def rendered(self, spec: FeedSpec, fmt: FeedFormat, state: FeedState) -> RenderedFeed:
        """The feed rendered at ``state``: from memory, or rendered once for all waiters."""
        cached = self.peek(spec, fmt, state)
        if cached is not None:
            return cached
        key = (spec.key, fmt.extension, state)
        pending = self._rendering.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._render(spec, fmt, state))
            self._rendering[key] = pending
            pending.add_done_callback(lambda _: self._rendering.pop(key, None))
        return await asyncio.shield(pending)

    async def warm_up(self, spec: FeedSpec) -> None:
        """Load the feed states, run a feed query and render ``spec`` empty; keep nothing else."""
        await self.state(spec.key)
        now = utc_now(self._clock)
        await self._store.feed_articles(spec.key, 1, now)
        for fmt in (*FORMATS, HTML_VIEW):
            fmt.render(FeedDocument(spec, [], now, ttl=1, version=__version__))

    async def _entry_views(self, spec: FeedSpec, state: FeedState) -> list[EntryView]:
        """The feed's entries at ``state``: queried once for both formats."""
        known = self._entries.get(spec.key)
        if known is not None and known[0] == state:
            return known[1]
        options = self._settings.feeds
        now = utc_now(self._clock)
        articles = await self._store.feed_articles(spec.key, options.items, now)
        views = [
            entry_view(
                spec,
                a,
                self._titles,
                rtl_mark=options.rtl_mark,
                image_in_content=options.image_in_content,
            )
            for a in articles
        ]
        self._entries[spec.key] = (state, views)
        return views

    async def _load(self) -> None:
        now = utc_now(self._clock)
        times = await self._store.feed_times(now)
        self._states = {
            key: FeedState(
                t.version, t.changed_us, f"{self._etag_prefix}{t.version}.{t.changed_us}", t.next_us
            )
            for key, t in times.items()
        }
        upcoming = [t.next_us for t in times.values() if t.next_us is not None]
        self._next_change_us = min(upcoming) if upcoming else None

    def peek(self, spec: FeedSpec, fmt: FeedFormat, state: FeedState) -> RenderedFeed | None:
        """The feed rendered at ``state`` if it is in memory already."""
        cached = self._rendered.get((spec.key, fmt.extension))
        return cached if cached is not None and cached.state == state else None

    async def _render(self, spec: FeedSpec, fmt: FeedFormat, state: FeedState) -> RenderedFeed:
        started = time.perf_counter()
        views = await self._entry_views(spec, state)
        modified = datetime.fromtimestamp(state.changed_us // 1_000_000, UTC)
        doc = FeedDocument(spec, views, modified, ttl=self._settings.feeds.ttl, version=__version__)
        rendered = RenderedFeed(state, fmt.render(doc), (time.perf_counter() - started) * 1000)
        # a render of an older state that finishes late must not replace a newer one
        current = self._rendered.get((spec.key, fmt.extension))
        if current is None or current.state.version <= state.version:
            self._rendered[(spec.key, fmt.extension)] = rendered
        return rendered
