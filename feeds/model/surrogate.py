"""Surrogate keys: the tags a shared cache files each feed response under.

Every feed response names its keys (see :mod:`feeds.http.feed_endpoint`),
and a purge of one key (see :mod:`feeds.notify.cdn`) drops every response
filed under it, whatever its URL, format or encoding.
"""

from __future__ import annotations

#: The site-wide key, and the prefix of the others.
SITE_KEY = "nashra"


def feed_key(feed: str) -> str:
    """The key of every response of ``feed``: each format, each encoding, its page."""
    return f"{SITE_KEY}-feed-{feed}"


def surrogate_keys(feed: str, extension: str) -> list[str]:
    """The keys of a feed in a format: the feed's, the format's, the site's.

    nashra purges by the feed's; the others let an operator purge one
    format, or the whole site after an upgrade, by hand.
    """
    return [feed_key(feed), f"{SITE_KEY}-format-{extension}", SITE_KEY]
