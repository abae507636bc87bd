"""HTTP validators and conditional requests (RFC 9110 §8.8, §13), in one place.

Everything here is a pure function of headers and a feed's state, so a 304
is decided before anything is rendered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal

Encoding = Literal["identity", "gzip", "br"]
ENCODING_SUFFIX: dict[Encoding, str] = {"identity": "", "gzip": "-gz", "br": "-br"}


def etag(base: str, encoding: Encoding) -> str:
    """A strong ETag per representation: each content coding gets its own."""
    return f'"{base}{ENCODING_SUFFIX[encoding]}"'


def last_modified(modified: datetime, now: datetime) -> datetime:
    """The Last-Modified to send: whole seconds, never later than ``now`` (the Date).

    A change at 12:00:00.2 is announced as 12:00:01 once that second has
    passed, so a client that sends it back as If-Modified-Since never misses
    a second change within the same second (see :func:`not_modified`).
    Before then the response says 12:00:00, which can never produce a 304.
    """
    return min(_ceil_second(modified), _floor_second(now))


def not_modified(headers: Mapping[str, str], tag: str, modified: datetime, now: datetime) -> bool:
    """Whether a GET or HEAD with these headers is answered 304 (RFC 9110 §13.2.2).

    If-None-Match, when present, decides alone (weak comparison, ``*``
    matches any current representation); otherwise If-Modified-Since does,
    and only if it is a valid date not later than ``now``.
    """
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        return _matches(if_none_match, tag)
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None or since > now:
        return False
    return _ceil_second(modified) <= since


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def choose_encoding(accept_encoding: str | None, available: tuple[Encoding, ...]) -> Encoding:
    """The best content coding the client accepts among ``available`` (br, then gzip)."""
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
    for encoding in available:
        if weights.get(encoding, weights.get("*", 0.0)) > 0:
            return encoding
    return "identity"


def _matches(if_none_match: str, tag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    wanted = _opaque(tag)
    return any(_opaque(candidate) == wanted for candidate in _split_tags(if_none_match))


def _split_tags(header: str) -> list[str]:
    """Entity tags of a list header; commas inside quotes do not split."""
    tags, current, quoted = [], [], False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            tags.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    tags.append("".join(current).strip())
    return [t for t in tags if t]


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def _floor_second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _ceil_second(moment: datetime) -> datetime:
    floor = _floor_second(moment)
    if moment.microsecond == 0:
        return floor
    return datetime.fromtimestamp(math.floor(floor.timestamp()) + 1, UTC)
