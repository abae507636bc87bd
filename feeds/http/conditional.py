"""HTTP validators and conditional requests (RFC 9110 §8.8, §13), in one place.

Everything here is a pure function of request headers and a feed's state,
so a 304 is decided before anything is rendered. Times are whole seconds
since the epoch, as HTTP dates are; a feed's change time keeps its
microseconds so that :func:`last_modified` can round it the safe way.
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
        return if_none_match.strip() == "*" or tag in entity_tags(if_none_match)
    if if_modified_since is None:
        return False
    since = http_seconds(if_modified_since)
    return since is not None and since <= now and change_second(changed_us) <= since


@lru_cache(maxsize=4096)
def entity_tags(header: str) -> frozenset[str]:
    """The opaque tags of an If-None-Match list, ``W/`` dropped (weak comparison)."""
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
    return frozenset(t[2:] if t.startswith("W/") else t for t in tags if t)


@lru_cache(maxsize=4096)
def http_seconds(value: str) -> int | None:
    """An HTTP date as epoch seconds, or None when it is not a valid date.

    ANSI C's asctime format carries no zone, and RFC 9110 §5.6.7 says it is
    GMT; any other date without a zone is not an HTTP date.
    """
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


@lru_cache(maxsize=1024)
def choose_encoding(accept_encoding: str | None) -> Encoding:
    """The best content coding the client accepts (br, then gzip), else identity."""
    if not accept_encoding:
        return "identity"
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
