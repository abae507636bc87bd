"""Feed versions and rendered feeds, held in memory.

A feed's HTTP validators come from its version in the store, which this
cache reloads only when SQLite's ``data_version`` says another connection
committed: so a 304, or a repeated GET of an unchanged feed, reads no
article and renders nothing. Each feed is rendered once per version and
format; concurrent requests for a feed being rendered wait for that one
render (single flight). Compressed bodies are made once, on first demand,
and kept beside the plain one.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import brotli

from feeds import generator
from feeds.conditional import Encoding
from feeds.entries import entry_view
from feeds.settings import Settings
from feeds.spec import FeedSpec, Format
from store.sqlite import SQLiteStore
from store.types import FeedVersion

VERSION = "0.1.0"


@dataclass(frozen=True, slots=True)
class FeedState:
    """What a feed's validators are made of, known without reading its articles."""

    version: int
    modified: datetime
    etag_base: str


@dataclass(slots=True)
class RenderedFeed:
    """A feed's bytes for one state and format, and their compressed forms."""

    state: FeedState
    body: bytes
    _encoded: dict[Encoding, bytes] = field(default_factory=dict)

    def encoded(self, encoding: Encoding) -> bytes:
        if encoding == "identity":
            return self.body
        if encoding not in self._encoded:
            self._encoded[encoding] = (
                gzip.compress(self.body, 6, mtime=0)
                if encoding == "gzip"
                else brotli.compress(self.body, quality=5)
            )
        return self._encoded[encoding]


class FeedCache:
    """The current state of every feed, and its rendered bytes."""

    def __init__(
        self, store: SQLiteStore, settings: Settings, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._titles = {c.slug: c.title for c in settings.categories}
        self._etag_prefix = f"{store.store_id}.{settings.fingerprint()}."
        self._versions: asyncio.Future[dict[str, FeedVersion]] | None = None
        self._rendered: dict[tuple[str, Format], RenderedFeed] = {}
        self._rendering: dict[tuple[str, Format, FeedState], asyncio.Future[RenderedFeed]] = {}

    async def state(self, spec: FeedSpec) -> FeedState:
        """The feed's current state, fresh as of the latest commit by any process."""
        versions = await self._current_versions()
        found = versions.get(spec.key)
        version, modified = (found.version, found.modified) if found else (0, self._store.created)
        return FeedState(version, modified, f"{self._etag_prefix}{version}")

    async def rendered(self, spec: FeedSpec, fmt: Format, state: FeedState) -> RenderedFeed:
        """The feed rendered at ``state``: from memory, or rendered once for all waiters."""
        cached = self._rendered.get((spec.key, fmt))
        if cached is not None and cached.state == state:
            return cached
        key = (spec.key, fmt, state)
        pending = self._rendering.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._render(spec, fmt, state))
            self._rendering[key] = pending
            pending.add_done_callback(lambda _: self._rendering.pop(key, None))
        return await asyncio.shield(pending)

    async def _current_versions(self) -> dict[str, FeedVersion]:
        if self._versions is None or self._store.changed():
            self._versions = asyncio.ensure_future(self._store.feed_versions())
        try:
            return await asyncio.shield(self._versions)
        except BaseException:
            self._versions = None
            raise

    async def _render(self, spec: FeedSpec, fmt: Format, state: FeedState) -> RenderedFeed:
        options = self._settings.feeds
        articles = await self._store.feed_articles(spec.key, options.items, self._clock())
        views = [entry_view(spec, a, self._titles, rtl_mark=options.rtl_mark) for a in articles]
        modified = state.modified.replace(microsecond=0)
        body = generator.render(spec, fmt, views, modified, ttl=options.ttl, version=VERSION)
        rendered = RenderedFeed(state, body)
        current = self._rendered.get((spec.key, fmt))
        if current is None or current.state.version <= state.version:
            self._rendered[(spec.key, fmt)] = rendered
        return rendered
