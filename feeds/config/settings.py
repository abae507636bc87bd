"""nashra's settings: one typed, frozen object, read from TOML by :mod:`feeds.config.loader`.

The dataclasses hold what the loader has validated and normalized: canonical
language tags, absolute links ending with ``/``, slugs matching
:data:`SLUG_PATTERN`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_DB = Path("var/nashra.db")

#: Slugs become URL path segments (``feeds/{slug}.rss``), so keep them plain.
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")

DEFAULT_TAG_DATE = "2026"


@dataclass(frozen=True, slots=True)
class CategoryConfig:
    """One category feed; ``language`` is canonical BCP 47."""

    slug: str
    title: str
    description: str
    language: str
    #: The WordPress category slugs (percent-decoded) this feed takes; empty: its own slug.
    wordpress: tuple[str, ...] = ()

    @property
    def wordpress_slugs(self) -> tuple[str, ...]:
        """The WordPress category slugs that put a post in this category."""
        return self.wordpress or (self.slug,)


@dataclass(frozen=True, slots=True)
class Site:
    """The publisher; ``link`` is an absolute http(s) URL ending with ``/``.

    Feeds are served under ``link``: ``f"{link}feeds/{slug}.rss"``.
    """

    title: str
    link: str
    language: str
    description: str
    tag_date: str = DEFAULT_TAG_DATE  # the date in every tag: URI id (RFC 4151); never change it


@dataclass(frozen=True, slots=True)
class FeedOptions:
    """How feeds are rendered and cached."""

    items: int = 50  # entries per feed, 1..1000
    ttl: int = 15  # RSS <ttl>, minutes, >= 1
    max_age: int = 300  # Cache-Control max-age of feeds, seconds, >= 0
    breaking_max_age: int = 60  # max-age of the breaking feed, seconds, >= 0
    rtl_mark: bool = True  # prefix U+200F to RTL titles that start with a Latin letter
    image_in_content: bool = True  # the lead image also opens the content, as a <figure>


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """Where articles are kept; a relative path resolves against the current directory."""

    path: Path = DEFAULT_DB


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """Limits of the publishing API."""

    max_batch: int = 100  # articles in one POST
    max_body: int = 8 << 20  # bytes of one request body


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """What ``nashra serve`` lets one client make it read and wait for (README "Limits")."""

    max_request_line: int = 8 << 10  # bytes of the request target (414 beyond)
    max_header: int = 16 << 10  # bytes of one header field, name and value (431 beyond)
    max_head: int = 64 << 10  # bytes of the request line and all headers (431 beyond)
    max_headers: int = 100  # header fields in one request (431 beyond)
    header_timeout: int = 10  # seconds for a request head to arrive, then the connection closes
    keep_alive: int = 5  # seconds an idle connection is kept open between requests
    max_connections: int = 1000  # open connections per worker; a request beyond gets a 503


@dataclass(frozen=True, slots=True)
class WebSubOptions:
    """The WebSub hub to announce and notify; None: no WebSub."""

    hub: str | None = None


@dataclass(frozen=True, slots=True)
class CdnOptions:
    """How shared caches (a CDN, Varnish) may keep feeds, and which caches to purge.

    A shared cache keeps a feed ``s_maxage`` seconds (readers' own caches
    ``max_age``, as before), bounded like ``max_age`` by the feed's next
    self-timed change; ``purge`` lists the caches told of every change.
    """

    purge: tuple[str, ...] = ()  # base URLs of the caches that get a PURGE for every change
    purge_timeout: int = 2  # seconds for each purge request to one cache
    s_maxage: int = 4 * 3600  # Cache-Control s-maxage of feeds, seconds
    stale_while_revalidate: int = 30  # seconds a cache may serve a feed stale while refetching
    stale_if_error: int = 86_400  # seconds a cache may serve a feed stale while nashra is down
    key_headers: tuple[str, ...] = ("xkey",)  # response headers that carry the surrogate keys


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """What every way in (``nashra import``, ``nashra sync``) does to records.

    ``identify_language``: a record without ``language`` gets the language
    its text is written in, when that is clearly (``language_confidence``)
    another of the site's languages than its category's (README "Language
    identification").
    """

    identify_language: bool = True
    language_confidence: float = 0.9


@dataclass(frozen=True, slots=True)
class WordPressOptions:
    """``nashra sync wordpress`` and ``nashra import --format wxr`` (README "From WordPress")."""

    breaking: tuple[str, ...] = ()  # category or tag slugs (percent-decoded) of breaking news
    breaking_hours: int = 6  # a breaking post leaves the breaking feed this long after its date
    removal_check: int = 600  # seconds, at least, between two listings of the public post ids
    timeout: int = 30  # seconds to connect, and between two reads, per request
    retries: int = 4  # more attempts of a request after a timeout or a 5xx, with backoff


@dataclass(frozen=True, slots=True)
class Token:
    """A publishing API token: its name, the hash of its secret, the categories it may write.

    ``categories`` None means every category; ``breaking``, see :attr:`may_mark_breaking`.
    """

    name: str
    hash: str  # "sha256:" and 64 hex digits of the SHA-256 of the token
    categories: frozenset[str] | None = None
    breaking: bool | None = None  # may mark articles breaking; None: unless categories limit it

    @property
    def may_mark_breaking(self) -> bool:
        """Whether the token may put articles in (or take them out of) the breaking feed.

        The breaking feed is the whole site's: a token limited to some
        categories (a desk's) needs ``breaking = true``; one without a limit
        (the newsroom's own) may, unless ``breaking = false``.
        """
        return self.categories is None if self.breaking is None else self.breaking


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything nashra is configured with; ``source`` is the file it came from."""

    site: Site
    feeds: FeedOptions
    store: StoreOptions
    categories: tuple[CategoryConfig, ...]
    source: Path | None = None
    api: ApiOptions = ApiOptions()
    websub: WebSubOptions = WebSubOptions()
    server: ServerOptions = ServerOptions()
    cdn: CdnOptions = CdnOptions()
    tokens: tuple[Token, ...] = ()
    ingest: IngestOptions = IngestOptions()
    wordpress: WordPressOptions = WordPressOptions()

    def category(self, slug: str) -> CategoryConfig | None:
        """The category with this slug, or ``None``."""
        return next((category for category in self.categories if category.slug == slug), None)

    def fingerprint(self) -> str:
        """A short hash of every setting that changes feed bytes, for HTTP ETags.

        The store path and the source file are left out: moving the database
        or the config file does not change what a feed looks like.
        """
        canonical = json.dumps(
            {
                "site": asdict(self.site),
                "feeds": asdict(self.feeds),
                "categories": [_shown_in_feeds(category) for category in self.categories],
                "websub": asdict(self.websub),
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _shown_in_feeds(category: CategoryConfig) -> dict[str, object]:
    """What of a category a feed shows: not where its articles come from."""
    shown = asdict(category)
    del shown["wordpress"]
    return shown
