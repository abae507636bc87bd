"""What every feed format is: a media type, a URL extension and one render function.

A format module (:mod:`feeds.formats.rss`, :mod:`feeds.formats.atom`,
:mod:`feeds.formats.jsonfeed`) defines one :class:`FeedFormat`;
:mod:`feeds.formats.registry` lists them, and everything that iterates
formats (the feed endpoint, ETags, WebSub topics, the index page, the API's
answers) reads that list. Adding a format is adding a module and a registry
line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from feeds.model.entries import EntryView
from feeds.model.spec import FeedSpec

GENERATOR = "nashra"


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """Everything a format needs to render one feed at one state."""

    spec: FeedSpec
    entries: Sequence[EntryView]
    modified: datetime  # the feed's last visible change: every feed-level date
    ttl: int  # minutes a reader may cache the feed (RSS <ttl>)
    version: str  # nashra's version, in the generator element (RSS, Atom)


@dataclass(frozen=True, slots=True)
class FeedFormat:
    """One representation of a feed, served at ``/feeds/{key}.{extension}``."""

    extension: str  # also the format's name in ETags and logs
    media_type: str  # without parameters; the body is always UTF-8
    label: str  # what a person calls it, e.g. "RSS 2.0"
    render: Callable[[FeedDocument], bytes]
    #: headers every answer in this format carries besides the endpoint's own
    #: (the feed page's Content-Security-Policy), as (name, value) in lower case
    headers: tuple[tuple[str, str], ...] = ()
