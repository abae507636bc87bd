"""HTTP validators and conditional requests (RFC 9110 §8.8, §13), in one place.

Everything here is a pure function of request headers and a feed's state,
so a 304 is decided before anything is rendered. Times are whole seconds
since the epoch, as HTTP dates are; a feed's change time keeps its
microseconds so that :func:`last_modified` can round it the safe way.

The headers are the client's text, so every parse is bounded: a value longer
than its limit is not parsed at all (an If-None-Match that long cannot match,
a date that long is not a date, an Accept-Encoding that long gets identity),
and only short values, what real clients send, are remembered in the caches,
so they hold at most ``maxsize`` × :data:`CACHED_BYTES` of client text.
"""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from typing import Literal

Encoding = Literal["identity", "gzip", "br"]
ENCODING_SUFFIX: dict[Encoding, str] = {"identity": "", "gzip": "-gz", "br": "-br"}
AVAILABLE: tuple[Encoding, ...] = ("br", "gzip")
_MICRO = 1_000_000

#: an If-None-Match longer than this, or listing more tags, matches nothing (a 200)
MAX_IF_NONE_MATCH = 4096
MAX_ENTITY_TAGS = 64
#: longer than any HTTP date (29 characters) with room for odd spacing: not a date
MAX_HTTP_DATE = 64
#: an Accept-Encoding longer than this is answered with identity, unparsed
MAX_ACCEPT_ENCODING = 1024
#: parse results are cached only for values up to this many characters
CACHED_BYTES = 256


def etag(base: str, encoding: Encoding) -> str:
    """A strong ETag per representation: each content coding gets its own."""
    return f'"{base}{ENCODING_SUFFIX[encoding]}"'


def change_second(changed_us: int) -> int:
    """The first whole second at or after a change: when Last-Modified can name it."""
    return -(-changed_us // _MICRO)


def last_modified(changed_us: int, now: int) -> int:
    """The Last-Modified to send: whole seconds, never later than ``now`` (the Date).

    A change at 12:00:00.2 is announced as 12:00:01 once that second has
    passed, so a client that sends it back as If-Modified-Since never misses a
    second change within the same second (see :func:`not_modified`). Before
    then the response says 12:00:00, which can never produce a 304.
    """
    return min(change_second(changed_us), now)


def not_modified(
    if_none_match: str | None,
    if_modified_since: str | None,
    tag: str,
    changed_us: int,
    now: int,
) -> bool:
    """Whether a GET or HEAD is answered 304 (RFC 9110 §13.2.2).

    If-None-Match, when present, decides alone (weak comparison; ``*``
    matches any current representation). Otherwise If-Modified-Since does,
    and only if it is a valid date not later than ``now``.
    """
    if if_none_match is not None:
        if len(if_none_match) > MAX_IF_NONE_MATCH:
            return False
        return if_none_match.strip() == "*" or tag in entity_tags(if_none_match)
    if if_modified_since is None:
        return False
    since = http_seconds(if_modified_since)
    return since is not None and since <= now and change_second(changed_us) <= since


def entity_tags(header: str) -> frozenset[str]:
    """The opaque tags of an If-None-Match list, ``W/`` dropped (weak comparison).

    Empty when the list is longer than :data:`MAX_IF_NONE_MATCH` characters or
    names more than :data:`MAX_ENTITY_TAGS` tags: such a list matches nothing.
    """
    if len(header) > MAX_IF_NONE_MATCH:
        return frozenset()
    if len(header) <= CACHED_BYTES:
        return _cached_entity_tags(header)
    return _entity_tags(header)


@lru_cache(maxsize=4096)
def _cached_entity_tags(header: str) -> frozenset[str]:
    return _entity_tags(header)


def _entity_tags(header: str) -> frozenset[str]:
    tags: list[str] = []
    current: list[str] = []
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            tags.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    tags.append("".join(current).strip())
    if len(tags) > MAX_ENTITY_TAGS:
        return frozenset()
    return frozenset(t[2:] if t.startswith("W/") else t for t in tags if t)


def http_seconds(value: str) -> int | None:
    """An HTTP date as epoch seconds, or None when it is not a valid date.

    ANSI C's asctime format carries no zone, and RFC 9110 §5.6.7 says it is
    GMT; any other date without a zone is not an HTTP date, nor is a value
    longer than :data:`MAX_HTTP_DATE`.
    """
    if len(value) > MAX_HTTP_DATE:
        return None
    return _http_seconds(value)


@lru_cache(maxsize=4096)
def _http_seconds(value: str) -> int | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None and _ASCTIME.fullmatch(value):
        moment = moment.replace(tzinfo=UTC)
    return None if moment.tzinfo is None else int(moment.timestamp())


_ASCTIME = re.compile(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}")


@lru_cache(maxsize=256)
def http_date(seconds: int) -> str:
    return formatdate(seconds, usegmt=True)


def choose_encoding(accept_encoding: str | None) -> Encoding:
    """The best content coding the client accepts (br, then gzip), else identity.

    A value longer than :data:`MAX_ACCEPT_ENCODING` gets identity unparsed:
    every client accepts it unless it says ``identity;q=0``, which no real
    client does in a list that long.
    """
    if not accept_encoding or len(accept_encoding) > MAX_ACCEPT_ENCODING:
        return "identity"
    if len(accept_encoding) <= CACHED_BYTES:
        return _cached_encoding(accept_encoding)
    return _encoding(accept_encoding)


@lru_cache(maxsize=1024)
def _cached_encoding(accept_encoding: str) -> Encoding:
    return _encoding(accept_encoding)


def _encoding(accept_encoding: str) -> Encoding:
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[name.strip().lower()] = q
    for encoding in AVAILABLE:
        if weights.get(encoding, weights.get("*", 0.0)) > 0:
            return encoding
    return "identity"
