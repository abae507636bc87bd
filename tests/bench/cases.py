"""What the load asks for: the six load cases, and the feeds and the page timed cold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from feeds.formats.registry import FORMATS as REGISTERED
from tests.bench.client import get

MAIN_CATEGORY = "politics"
SITE_FEEDS = ("all", "breaking")
FORMATS = tuple(fmt.extension for fmt in REGISTERED)  # rss, atom, json
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
    """Every feed in every format: each category, then ``all`` and ``breaking``."""
    return tuple(f"/feeds/{key}.{fmt}" for key in [*categories, *SITE_FEEDS] for fmt in FORMATS)


def cold_feeds(categories: Iterable[str]) -> list[str]:
    """One feed of each kind, in every format, then the category's page.

    The formats of one feed are timed in registry order, and the views of its
    entries are kept from one format's render to the next (the render cache):
    the first format's cold time includes the query, the others' do not, nor
    does the page's, which comes after the category's feeds.
    """
    main = main_category(categories)
    return [*every_feed([main]), f"/feeds/{main}.{PAGE}"]


def load_cases(port: int, categories: Iterable[str]) -> list[Case]:
    """The six cases; the conditional one sends back the validators of a first GET."""
    slugs = list(categories)
    main = f"/feeds/{main_category(slugs)}.rss"
    main_json = f"/feeds/{main_category(slugs)}.json"
    page = f"/feeds/{main_category(slugs)}.{PAGE}"
    return [
        Case("a", f"GET {main}", (main,)),
        Case("b", f"GET {main_json}", (main_json,)),
        Case("c", f"conditional GET {main} (304)", (main,), validators(port, main), 304),
        Case("d", f"GET {main}, gzip", (main,), {"Accept-Encoding": "gzip"}),
        Case("e", "random feed, RSS, Atom or JSON Feed", every_feed(slugs)),
        Case("f", f"GET {page}, gzip", (page,), {"Accept-Encoding": "gzip"}),
    ]


def validators(port: int, path: str) -> dict[str, str]:
    """The ETag and Last-Modified of a first GET of ``path``, to send back."""
    first = get(port, path)
    names = {"If-None-Match": "etag", "If-Modified-Since": "last-modified"}
    validators = {name: first.headers[h] for name, h in names.items() if h in first.headers}
    if first.status != 200 or not validators:
        raise CaseError(f"GET {path} answered {first.status} without ETag or Last-Modified")
    return validators
