"""What the load asks for: the five load cases, and the feeds and the page timed cold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.bench.client import get

MAIN_CATEGORY = "politics"
SITE_FEEDS = ("all", "breaking")
FORMATS = ("rss", "atom")
PAGE = "html"  # the feed as a page for people: not a format readers poll


class CaseError(RuntimeError):
    """A case cannot be set up (the server gave no validators to send back)."""


@dataclass(frozen=True, slots=True)
class Case:
    """Requests for one load run; ``paths`` is picked from at random when there are several."""

    key: str
    title: str
    paths: tuple[str, ...]
    headers: dict[str, str] = field(default_factory=dict)
    #: the status every response must have, or None for any 2xx/3xx
    expect: int | None = None


def main_category(categories: Iterable[str]) -> str:
    """``politics`` when the articles have it, else their first category."""
    slugs = list(categories)
    return MAIN_CATEGORY if MAIN_CATEGORY in slugs else slugs[0]


def every_feed(categories: Iterable[str]) -> tuple[str, ...]:
    """Every feed in both formats: each category, then ``all`` and ``breaking``."""
    return tuple(f"/feeds/{key}.{fmt}" for key in [*categories, *SITE_FEEDS] for fmt in FORMATS)


def cold_feeds(categories: Iterable[str]) -> list[str]:
    """A category, ``all`` and ``breaking`` in both formats, then the category's page.

    The page comes after the category's feeds, whose query it reuses: its
    Server-Timing is the page's render alone.
    """
    main = main_category(categories)
    return [*every_feed([main]), f"/feeds/{main}.{PAGE}"]


def load_cases(port: int, categories: Iterable[str]) -> list[Case]:
    """The five cases; the conditional one sends back the validators of a first GET."""
    slugs = list(categories)
    main = f"/feeds/{main_category(slugs)}.rss"
    page = f"/feeds/{main_category(slugs)}.{PAGE}"
    return [
        Case("a", f"GET {main}", (main,)),
        Case("b", f"conditional GET {main} (304)", (main,), _validators(port, main), 304),
        Case("c", f"GET {main}, gzip", (main,), {"Accept-Encoding": "gzip"}),
        Case("d", "random feed, RSS or Atom", every_feed(slugs)),
        Case("e", f"GET {page}, gzip", (page,), {"Accept-Encoding": "gzip"}),
    ]


def _validators(port: int, path: str) -> dict[str, str]:
    first = get(port, path)
    names = {"If-None-Match": "etag", "If-Modified-Since": "last-modified"}
    validators = {name: first.headers[h] for name, h in names.items() if h in first.headers}
    if first.status != 200 or not validators:
        raise CaseError(f"GET {path} answered {first.status} without ETag or Last-Modified")
    return validators
