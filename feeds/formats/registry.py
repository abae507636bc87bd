"""Every feed format nashra serves, in the order pages and answers list them."""

from __future__ import annotations

from feeds.formats import atom, jsonfeed, rss
from feeds.formats.base import FeedFormat

FORMATS: tuple[FeedFormat, ...] = (rss.FORMAT, atom.FORMAT, jsonfeed.FORMAT)
BY_EXTENSION: dict[str, FeedFormat] = {f.extension: f for f in FORMATS}
