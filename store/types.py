"""The values the store hands out and takes in: frozen, timezone-aware."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

ALL_FEED = "all"
BREAKING_FEED = "breaking"
RESERVED_FEEDS = frozenset({ALL_FEED, BREAKING_FEED})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch: an exact, sortable integer for an aware datetime."""
    return (moment - _EPOCH) // _MICROSECOND


def from_us(us: int) -> datetime:
    """The aware UTC datetime of :func:`to_us`."""
    return _EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, slots=True)
class Image:
    """An article's lead image: an enclosure, Media RSS, JSON Feed ``image``, a figure.

    Only the URL and media type are required; the size in bytes, the
    alternative text and the size in pixels are given when the publisher
    knows them.
    """

    url: str
    type: str
    length: int | None = None  # bytes
    alt: str | None = None  # the alternative text, cleaned plain text
    width: int | None = None  # pixels
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One cleaned, validated article: what the store keeps and the feeds show.

    Text fields are already safe for XML (see ``feeds.ingest.cleaning``); ``content``
    is sanitized HTML with absolute links. Datetimes are timezone-aware.
    """

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    categories: tuple[str, ...]
    language: str
    author: str | None = None
    summary: str | None = None
    content: str | None = None
    breaking: bool = False
    image: Image | None = None
    breaking_until: datetime | None = None  # leaves the breaking feed by itself then

    def feed_keys(self) -> frozenset[str]:
        """Every feed this article belongs to: its categories, ``all``, maybe ``breaking``."""
        keys = {*self.categories, ALL_FEED}
        if self.breaking:
            keys.add(BREAKING_FEED)
        return frozenset(keys)


class Outcome(enum.Enum):
    """What writing one article did to the store."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"  # its `updated` is older than the stored one's: kept out


@dataclass(frozen=True, slots=True)
class FeedTimes:
    """A feed's version and the moments its visible content changes by itself.

    An embargoed article appears when its ``published`` time comes; a
    breaking article leaves the breaking feed at its ``breaking_until``. So
    beside the version bumped by writes, a feed has a last such moment that
    has passed (it changed the feed without a write) and a next one.
    """

    feed: str
    version: int
    written_us: int  # the last write that touched the feed
    passed_us: int | None  # the latest appearance or expiry at or before now
    next_us: int | None  # the next one after now

    @property
    def changed_us(self) -> int:
        """When the feed's visible content last changed, by a write or by time."""
        return max(self.written_us, self.passed_us or 0)


@dataclass(frozen=True, slots=True)
class SyncCursor:
    """Where a sync from another system (a WordPress site) stands, kept in the store.

    ``source`` names the system (its URL); ``modified`` is the newest
    modification time of what was committed from it; ``checked`` when the
    store last compared its articles with what the system still publishes.
    """

    source: str
    modified: datetime | None = None
    checked: datetime | None = None


class Claim(NamedTuple):
    """A queued change claimed by an outbox sink: the feed, and the attempts made so far."""

    feed: str
    attempts: int


class Hold(NamedTuple):
    """A sink whose change of a feed goes first: another sink's change of it waits.

    A change of ``sink`` holds the same feed's change of the waiting sink
    while it is due by ``until`` (now), claimed and being delivered, or has
    failed and waits for its retry; one queued for later (an embargo's end)
    holds nothing until then. So caches are purged before WebSub
    subscribers are told to fetch.
    """

    sink: str
    until_us: int


class Prepared(NamedTuple):
    """An article readied for the write path: its row and feed entries, computed ahead.

    A plain tuple, cheap to pickle: ``nashra import`` prepares articles in its
    validation worker processes (with the store's ``preparer``), so the
    single writer only runs SQL.
    """

    id: str
    digest: str  # a hash of every field: an identical re-import is unchanged
    updated_us: int
    feeds: frozenset[str]
    entries: tuple[tuple[str, int, int | None], ...]  # (feed, published_us, expires_us)
    row: tuple[object, ...]  # the values the backend stores, in its own column order
