"""A strict, offline checker for JSON Feed 1.1 documents.

JSON Feed has no official validator to run offline, so this module checks
what the specification (https://www.jsonfeed.org/version/1.1/) requires and
recommends for a feed on the public web, and holds it to the same bar as
:mod:`tests.support.feed_validator` holds RSS and Atom: ``jsonfeed_problems``
returns every problem it finds, and an empty list means the feed is valid.
Each problem names where it is as a JSON Pointer (RFC 6901) and ends with
the rule it enforces in brackets.

What it checks:

- The document: UTF-8 without a byte order mark, one JSON object (RFC 8259),
  no duplicate member names, no ``NaN``/``Infinity``, no ``null`` anywhere
  (no field of JSON Feed may be null: absent fields are left out), no lone
  surrogate, and nothing XML 1.0 discourages in any string (shared with the
  RSS/Atom checks, as are unbalanced bidi controls and mojibake).
- Names: every member name is one the specification defines at that place,
  or an extension (``_`` then a letter, no ``.``).
- Top level: ``version`` first and exactly ``https://jsonfeed.org/version/1.1``;
  ``title`` a non-blank string; ``home_page_url`` and ``feed_url`` present
  (required for a public feed) and absolute http(s) URLs, ``feed_url`` the
  address the feed was fetched from; ``next_url`` not ``feed_url``; ``icon``,
  ``favicon`` URLs; ``expired`` a boolean; ``language`` a BCP 47 tag;
  ``authors`` and ``hubs`` below; the deprecated ``author`` only beside
  ``authors``; ``items`` an array.
- Authors: an array of objects, each with at least one of ``name`` (non-blank
  plain text), ``url`` (absolute) and ``avatar`` (http(s)).
- Hubs: an array of objects, each with a non-blank ``type`` and an absolute
  http(s) ``url``.
- Items: ``id`` a non-blank string, unique in the feed; ``url`` present and
  absolute http(s) (the spec: "should be present regardless");
  ``external_url``, ``image``, ``banner_image`` URLs; ``content_html`` or
  ``content_text`` present; ``content_html`` safe HTML with absolute links
  (the RSS/Atom checks' rules); ``title``, ``summary``, ``content_text``, tags
  and author names plain text (no HTML tags or entity references);
  ``date_published``/``date_modified`` RFC 3339 with an offset, real and
  plausible, modified not before published; ``tags`` an array of distinct
  non-blank strings; ``language`` a BCP 47 tag; ``attachments`` below.
- Attachments: ``url`` (absolute http(s)) and ``mime_type`` (a media type)
  required; ``title`` a string; ``size_in_bytes`` a non-negative integer;
  ``duration_in_seconds`` a non-negative number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.support.feed_validator import (
    _html_problems,
    _http_url_problem,
    _iri_problem,
    _language_problem,
    _markup_in_text_problem,
    _media_type_problem,
    _rfc3339_problem,
    _text_problems,
)

VERSION = "https://jsonfeed.org/version/1.1"
SPEC = "[JSON Feed 1.1]"
EXTENSION = re.compile(r"_[A-Za-z][^.]*")

TOP_KEYS = frozenset(
    """version title home_page_url feed_url description user_comment next_url icon favicon
    authors author language expired hubs items""".split()
)
ITEM_KEYS = frozenset(
    """id url external_url title content_html content_text summary image banner_image
    date_published date_modified authors author tags language attachments""".split()
)
AUTHOR_KEYS = frozenset({"name", "url", "avatar"})
HUB_KEYS = frozenset({"type", "url"})
ATTACHMENT_KEYS = frozenset({"url", "mime_type", "title", "size_in_bytes", "duration_in_seconds"})

Check = Callable[[str, Any], list[str]]


class _DuplicateKey(ValueError):
    pass


def jsonfeed_problems(document: bytes, *, url: str | None = None) -> list[str]:
    """Every problem found in a JSON Feed 1.1 document; ``url`` is where it is served."""
    top, problems = _parse(document)
    if top is None:
        return problems
    if not isinstance(top, dict):
        return [f"/: the document must be a JSON object, not {_kind(top)} {SPEC}"]
    problems += _value_problems("", top)
    problems += _top_problems(top, url)
    return problems


# ---------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------


def _parse(document: bytes) -> tuple[Any, list[str]]:
    if document.startswith(b"\xef\xbb\xbf"):
        return None, ["/: the document starts with a byte order mark [RFC 8259 §8.1]"]
    try:
        text = document.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [f"/: not UTF-8: {error} [RFC 8259 §8.1]"]
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_constant), []
    except _DuplicateKey as error:
        return None, [f"/: {error} [RFC 8259 §4]"]
    except ValueError as error:  # JSONDecodeError, and NaN/Infinity
        return None, [f"/: not JSON: {error} [RFC 8259]"]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise _DuplicateKey(f"the member name {name!r} appears twice in one object")
        found[name] = value
    return found


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _value_problems(path: str, value: Any) -> list[str]:
    """No null anywhere, and every string clean: what holds whatever the field."""
    if value is None:
        return [f"{path or '/'}: null: leave an absent field out instead {SPEC}"]
    if isinstance(value, str):
        return _string_problems(path, value)
    problems = []
    if isinstance(value, dict):
        for name, member in value.items():
            where = f"{path}/{_escape(name)}"
            problems += _string_problems(f"{where} (the name)", name)
            problems += _value_problems(where, member)
    elif isinstance(value, list):
        for index, member in enumerate(value):
            problems += _value_problems(f"{path}/{index}", member)
    return problems


def _string_problems(path: str, text: str) -> list[str]:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return [f"{path}: a lone surrogate escape, which is no character [RFC 8259 §8.2]"]
    return [f"{path}: {problem}" for problem in _text_problems(text)]


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), "null")


def _names_problems(path: str, found: dict[str, Any], known: frozenset[str]) -> list[str]:
    problems = []
    for name in found:
        if name in known:
            continue
        if name.startswith("_"):
            if not EXTENSION.fullmatch(name):
                problems.append(
                    f"{path}/{_escape(name)}: an extension's name is '_', a letter, "
                    f"and no '.' {SPEC}"
                )
        else:
            problems.append(f"{path}/{_escape(name)}: not a JSON Feed 1.1 field {SPEC}")
    return problems


# ---------------------------------------------------------------------------
# Typed fields
# ---------------------------------------------------------------------------


def _string(path: str, value: Any) -> list[str]:
    if not isinstance(value, str):
        return [f"{path}: must be a string, not {_kind(value)} {SPEC}"]
    return []


def _nonblank(path: str, value: Any) -> list[str]:
    problems = _string(path, value)
    if not problems and not value.strip():
        problems.append(f"{path}: must not be blank {SPEC}")
    return problems


def _plain(path: str, value: Any) -> list[str]:
    """Plain text: "the only place HTML is allowed in this format is in content_html"."""
    problems = _nonblank(path, value)
    if not problems:
        markup = _markup_in_text_problem(value, rss=False)
        if markup:
            problems.append(f"{path}: {markup}")
    return problems


def _http_url(path: str, value: Any) -> list[str]:
    problems = _string(path, value)
    if not problems:
        problem = _http_url_problem(value)
        problems = [f"{path}: {problem}"] if problem else []
    return problems


def _any_url(path: str, value: Any) -> list[str]:
    """An absolute URL of any registered scheme (an author's url may be mailto:)."""
    problems = _string(path, value)
    if not problems:
        problem = _iri_problem(value)
        problems = [f"{path}: {problem}"] if problem else []
    return problems


def _language(path: str, value: Any) -> list[str]:
    problems = _string(path, value)
    if not problems:
        problem = _language_problem(value)
        problems = [f"{path}: {problem}"] if problem else []
    return problems


def _date(path: str, value: Any) -> list[str]:
    problems = _string(path, value)
    if not problems:
        problem = _rfc3339_problem(value)
        problems = [f"{path}: {problem}"] if problem else []
    return problems


def _boolean(path: str, value: Any) -> list[str]:
    return [] if isinstance(value, bool) else [f"{path}: must be true or false {SPEC}"]


def _count(path: str, value: Any) -> list[str]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return []
    return [f"{path}: must be a non-negative integer, not {value!r} {SPEC}"]


def _duration(path: str, value: Any) -> list[str]:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return []
    return [f"{path}: must be a non-negative number, not {value!r} {SPEC}"]


def _media_type(path: str, value: Any) -> list[str]:
    problems = _nonblank(path, value)
    if not problems:
        problem = _media_type_problem(value)
        problems = [f"{path}: {problem}"] if problem else []
    return problems


def _html(path: str, value: Any) -> list[str]:
    problems = _nonblank(path, value)
    if not problems:
        problems = [f"{path}: {p}" for p in _html_problems(value, absolute_links=True)]
    return problems


def _fields(path: str, found: dict[str, Any], checks: dict[str, Check]) -> list[str]:
    problems = []
    for name, check in checks.items():
        if name in found and found[name] is not None:  # a null is reported once, above
            problems += check(f"{path}/{name}", found[name])
    return problems


def _required(path: str, found: dict[str, Any], names: tuple[str, ...], why: str) -> list[str]:
    return [f"{path}/{name}: missing: {why} {SPEC}" for name in names if name not in found]


def _array_of(check: Check, *, non_empty: bool = True) -> Check:
    def checked(path: str, value: Any) -> list[str]:
        if not isinstance(value, list):
            return [f"{path}: must be an array, not {_kind(value)} {SPEC}"]
        if non_empty and not value:
            return [f"{path}: an empty array: leave the field out instead {SPEC}"]
        problems = []
        for index, member in enumerate(value):
            problems += check(f"{path}/{index}", member)
        return problems

    return checked


def _object_of(known: frozenset[str], checks: Callable[[str, dict[str, Any]], list[str]]) -> Check:
    def checked(path: str, value: Any) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: must be an object, not {_kind(value)} {SPEC}"]
        return _names_problems(path, value, known) + checks(path, value)

    return checked


# ---------------------------------------------------------------------------
# Authors, hubs, attachments
# ---------------------------------------------------------------------------


def _author_fields(path: str, author: dict[str, Any]) -> list[str]:
    problems = _fields(path, author, {"name": _plain, "url": _any_url, "avatar": _http_url})
    if not AUTHOR_KEYS & author.keys():
        problems.append(f"{path}: an author needs a name, url or avatar {SPEC}")
    return problems


def _hub_fields(path: str, hub: dict[str, Any]) -> list[str]:
    problems = _required(path, hub, ("type", "url"), "a hub has a type and a url")
    return problems + _fields(path, hub, {"type": _nonblank, "url": _http_url})


def _attachment_fields(path: str, attachment: dict[str, Any]) -> list[str]:
    problems = _required(path, attachment, ("url", "mime_type"), "an attachment needs it")
    return problems + _fields(
        path,
        attachment,
        {
            "url": _http_url,
            "mime_type": _media_type,
            "title": _string,
            "size_in_bytes": _count,
            "duration_in_seconds": _duration,
        },
    )


_author = _object_of(AUTHOR_KEYS, _author_fields)
_authors = _array_of(_author)
_hubs = _array_of(_object_of(HUB_KEYS, _hub_fields))
_attachments = _array_of(_object_of(ATTACHMENT_KEYS, _attachment_fields))


def _tags(path: str, value: Any) -> list[str]:
    problems = _array_of(_plain)(path, value)
    if not problems:
        seen: set[str] = set()
        for index, tag in enumerate(value):
            if tag in seen:
                problems.append(f"{path}/{index}: the tag {tag!r} appears twice {SPEC}")
            seen.add(tag)
    return problems


def _deprecated_author(path: str, found: dict[str, Any]) -> list[str]:
    if "author" in found and "authors" not in found:
        return [f"{path}/author: deprecated in 1.1: use authors (author may stay beside it) {SPEC}"]
    return []


# ---------------------------------------------------------------------------
# The feed and its items
# ---------------------------------------------------------------------------

TOP_CHECKS: dict[str, Check] = {
    "title": _plain,
    "home_page_url": _http_url,
    "feed_url": _http_url,
    "description": _plain,
    "user_comment": _nonblank,
    "next_url": _http_url,
    "icon": _http_url,
    "favicon": _http_url,
    "authors": _authors,
    "author": _author,
    "language": _language,
    "expired": _boolean,
    "hubs": _hubs,
}
ITEM_CHECKS: dict[str, Check] = {
    "id": _nonblank,
    "url": _http_url,
    "external_url": _http_url,
    "title": _plain,
    "content_html": _html,
    "content_text": _nonblank,
    "summary": _plain,
    "image": _http_url,
    "banner_image": _http_url,
    "date_published": _date,
    "date_modified": _date,
    "authors": _authors,
    "author": _author,
    "tags": _tags,
    "language": _language,
    "attachments": _attachments,
}


def _top_problems(top: dict[str, Any], url: str | None) -> list[str]:
    problems = _names_problems("", top, TOP_KEYS)
    version = top.get("version")
    if version != VERSION:
        problems.append(f"/version: must be {VERSION!r}, not {version!r} {SPEC}")
    elif next(iter(top)) != "version":
        problems.append(f"/version: should be the first member {SPEC}")
    problems += _required(
        "", top, ("title", "home_page_url", "feed_url"), "required of a feed on the public web"
    )
    problems += _fields("", top, TOP_CHECKS)
    problems += _deprecated_author("", top)
    feed_url = top.get("feed_url")
    if url is not None and isinstance(feed_url, str) and feed_url != url:
        problems.append(f"/feed_url: {feed_url!r} is not where the feed is, {url!r} {SPEC}")
    if "next_url" in top and top["next_url"] == feed_url:
        problems.append(f"/next_url: must not be the feed_url {SPEC}")
    if "items" not in top:
        return [*problems, f"/items: missing: required {SPEC}"]
    items = top["items"]
    if not isinstance(items, list):
        return [*problems, f"/items: must be an array, not {_kind(items)} {SPEC}"]
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        path = f"/items/{index}"
        if not isinstance(item, dict):
            problems.append(f"{path}: must be an object, not {_kind(item)} {SPEC}")
            continue
        problems += _item_problems(path, item)
        item_id = item.get("id")
        if isinstance(item_id, str):
            if item_id in seen:
                problems.append(
                    f"{path}/id: {item_id!r} is also the id of /items/{seen[item_id]} {SPEC}"
                )
            seen.setdefault(item_id, index)
    return problems


def _item_problems(path: str, item: dict[str, Any]) -> list[str]:
    problems = _names_problems(path, item, ITEM_KEYS)
    problems += _required(path, item, ("id",), "an item without an id is discarded")
    problems += _required(path, item, ("url",), "the permalink should be present regardless")
    if "content_html" not in item and "content_text" not in item:
        problems.append(f"{path}: needs content_html or content_text {SPEC}")
    problems += _fields(path, item, ITEM_CHECKS)
    problems += _deprecated_author(path, item)
    if not _date_problems(item):
        published, modified = item.get("date_published"), item.get("date_modified")
        if published and modified and _moment(modified) < _moment(published):
            problems.append(f"{path}/date_modified: earlier than date_published {SPEC}")
    return problems


def _date_problems(item: dict[str, Any]) -> list[str]:
    return [
        problem
        for name in ("date_published", "date_modified")
        if name in item
        for problem in _date(name, item[name])
    ]


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
