"""The static site: what ``nashra serve`` answers, as files in a directory.

Every file holds the bytes ``nashra serve`` sends at the matching URL for
the same store state, made by the same code: the feeds and their pages
through the serving :class:`~feeds.http.cache.FeedCache` (same render, same
gzip and brotli bytes), the index page by
:func:`~feeds.http.pages.index_html`, the OPML lists by
:class:`~feeds.http.opml.OpmlEndpoint`. In ``DIR``:

=============================  =====================================
``index.html``                 ``/``
``feeds.opml``                 ``/feeds.opml`` (Atom, the default)
``feeds.{ext}.opml``           ``/feeds.opml?format={ext}``, the other formats
``feeds/{key}.{ext}``          each feed in each format, and its page (``.html``)
=============================  =====================================

and beside each file its ``.gz`` and ``.br`` (what nginx's ``gzip_static``
and ``brotli_static`` send). A feed's files are dated with the second of
its last change, so nginx's ``Last-Modified`` names that second (``nashra
serve`` names the next one, never sending a date later than its ``Date``
either). A feed is rendered again only when its state moved (its version,
or a self-timed change that came), and then only the files whose bytes
differ are replaced (:mod:`feeds.publish.files`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from feeds.config.settings import Settings
from feeds.formats.registry import FORMATS, HTML_VIEW
from feeds.http import opml
from feeds.http.cache import FeedCache, FeedState, compress
from feeds.http.conditional import Encoding
from feeds.http.pages import index_html
from feeds.model.spec import FeedSpec
from feeds.publish.files import remove_abandoned, replace_if_changed, sync_directory
from store.clock import Clock
from store.errors import NashraError
from store.protocol import Store

INDEX = "index.html"
FEEDS = "feeds"  # the directory of /feeds/
#: each content coding nginx may send, and the suffix of its file; the plain file is
#: replaced last, so that once it is new, its compressed forms are too
ENCODED: tuple[tuple[Encoding, str], ...] = (("br", ".br"), ("gzip", ".gz"), ("identity", ""))


@dataclass(frozen=True, slots=True)
class PublishRound:
    """What one round of publishing did."""

    root: Path
    feeds: tuple[str, ...]  # the feeds rendered, their state having moved
    written: int  # files replaced
    unchanged: int  # files that held their bytes already
    seconds: float

    def line(self) -> str:
        return (
            f"published {self.root}: {len(self.feeds)} feeds rendered, {self.written} files "
            f"written, {self.unchanged} unchanged, {self.seconds:.2f} s"
        )


class StaticSite:
    """Publishes the site in ``root``: all of it at first, then what changed."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        specs: Mapping[str, FeedSpec],
        store: Store,
        clock: Clock,
    ) -> None:
        self.root = root
        self._specs = specs
        self._cache = FeedCache(store, settings, clock)
        self._published: dict[str, FeedState] = {}  # each feed's state, as its files hold it
        lists = opml.OpmlEndpoint(settings, specs.values()).documents
        # The index and the OPML lists depend on the settings alone: written once.
        self._fixed: dict[str, bytes] | None = {
            INDEX: index_html(settings, specs.values()),
            opml.PATH.removeprefix("/"): lists[opml.DEFAULT_FORMAT].body,
            **{
                opml_file(extension): document.body
                for extension, document in lists.items()
                if extension != opml.DEFAULT_FORMAT
            },
        }

    async def publish(self) -> PublishRound:
        """Write every file whose feed moved since the last round (every file, the first time)."""
        started = time.perf_counter()
        written = unchanged = 0
        rendered: list[str] = []
        try:
            if self._fixed is not None:
                self._prepare()
                for name, body in self._fixed.items():
                    for path, data in _encoded(self.root / name, body):
                        changed = replace_if_changed(path, data)
                        written, unchanged = written + changed, unchanged + (not changed)
                self._fixed = None
            for key, spec in self._specs.items():
                state = await self._cache.state(key)
                if self._published.get(key) == state:
                    continue
                for path, data in await self._feed_files(spec, state):
                    changed = replace_if_changed(path, data, state.changed_us // 1_000_000)
                    written, unchanged = written + changed, unchanged + (not changed)
                self._published[key] = state
                rendered.append(key)
            if written:
                sync_directory(self.root)
                sync_directory(self.root / FEEDS)
        except OSError as error:
            raise NashraError(f"cannot publish to {self.root}: {_reason(error)}") from error
        return PublishRound(
            self.root, tuple(rendered), written, unchanged, time.perf_counter() - started
        )

    def next_change_us(self) -> int | None:
        """The soonest moment (µs) a published feed changes by itself, if any."""
        upcoming = [s.next_us for s in self._published.values() if s.next_us is not None]
        return min(upcoming, default=None)

    def _prepare(self) -> None:
        """Make the directories; remove what a publisher killed mid-write left."""
        for directory in (self.root, self.root / FEEDS):
            directory.mkdir(parents=True, exist_ok=True)
            remove_abandoned(directory)

    async def _feed_files(self, spec: FeedSpec, state: FeedState) -> list[tuple[Path, bytes]]:
        files = []
        for fmt in (*FORMATS, HTML_VIEW):
            rendered = await self._cache.rendered(spec, fmt, state)
            path = self.root / FEEDS / f"{spec.key}.{fmt.extension}"
            files += [
                (path.with_name(path.name + suffix), rendered.encoded(encoding))
                for encoding, suffix in ENCODED
            ]
        return files


def opml_file(extension: str) -> str:
    """The file of the OPML list in a format other than the default."""
    return f"feeds.{extension}.opml"


def _encoded(path: Path, body: bytes) -> Iterator[tuple[Path, bytes]]:
    for encoding, suffix in ENCODED:
        data = body if encoding == "identity" else compress(body, encoding)
        yield path.with_name(path.name + suffix), data


def _reason(error: OSError) -> str:
    where = f" ({error.filename})" if error.filename else ""
    return f"{error.strerror or error}{where}"
