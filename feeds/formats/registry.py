"""Every feed format nashra serves, in the order pages and answers list them.

:data:`FORMATS` are the syndication formats: what WebSub announces, the API's
ETags, the index page and autodiscovery list. :data:`HTML_VIEW` is the feed
as a page for people, served by the same endpoint but never one of them.
"""

from __future__ import annotations

from feeds.formats import atom, html, jsonfeed, rss
from feeds.formats.base import FeedFormat

FORMATS: tuple[FeedFormat, ...] = (rss.FORMAT, atom.FORMAT, jsonfeed.FORMAT)
BY_EXTENSION: dict[str, FeedFormat] = {f.extension: f for f in FORMATS}
HTML_VIEW: FeedFormat = html.page_format(FORMATS, subscribe=atom.FORMAT)
