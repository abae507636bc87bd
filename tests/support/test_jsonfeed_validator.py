"""The JSON Feed checker passes a valid feed and catches each problem it knows.

One small feed written by hand (the specification's shapes, Arabic text) is
valid; every other case changes one thing in it, as data or as bytes, and
expects the matching problem.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.jsonfeed_validator import jsonfeed_problems

URL = "https://news.example/feeds/all.json"

VALID: dict[str, Any] = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "نشرة الأخبار",
    "home_page_url": "https://news.example/",
    "feed_url": URL,
    "description": "آخر الأخبار من نشرة",
    "language": "ar",
    "authors": [{"name": "غرفة الأخبار", "url": "https://news.example/"}],
    "hubs": [{"type": "WebSub", "url": "https://hub.example/"}],
    "_nashra": {"about": "https://news.example/about", "rank": [1, 2.5, True]},  # an extension
    "items": [
        {
            "id": "tag:news.example,2024-05-01:articles/1",
            "url": "https://news.example/articles/1",
            "title": "افتتاح المعرض الدولي للكتاب",
            "content_html": '<p>افتتح <a href="https://news.example/fair">المعرض</a>.</p>',
            "summary": "افتتح المعرض أبوابه صباح اليوم.",
            "image": "https://news.example/media/1.jpg",
            "date_published": "2024-05-01T09:00:00+03:00",
            "date_modified": "2024-05-01T10:30:00+03:00",
            "authors": [{"name": "ليلى منصور"}],
            "tags": ["ثقافة", "كتب"],
            "attachments": [
                {
                    "url": "https://news.example/media/1.jpg",
                    "mime_type": "image/jpeg",
                    "size_in_bytes": 48213,
                }
            ],
        },
        {
            "id": "2",
            "url": "https://news.example/en/articles/2",
            "content_text": "The fair opened.",
            "date_published": "2024-05-01T11:00:00Z",
            "language": "en",
        },
    ],
}


def changed(edit: Callable[[dict[str, Any]], object]) -> bytes:
    """The valid feed with ``edit`` applied to a copy of it."""
    feed = copy.deepcopy(VALID)
    edit(feed)
    return json.dumps(feed, ensure_ascii=False).encode()


def item(index: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    """An edit setting (or, with ``...``, deleting) fields of item ``index``."""

    def edit(feed: dict[str, Any]) -> None:
        for name, value in fields.items():
            if value is ...:
                del feed["items"][index][name]
            else:
                feed["items"][index][name] = value

    return edit


def top(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def edit(feed: dict[str, Any]) -> None:
        for name, value in fields.items():
            if value is ...:
                del feed[name]
            else:
                feed[name] = value

    return edit


def assert_found(problems: list[str], expected: str) -> None:
    assert any(expected in problem for problem in problems), (expected, problems)


def test_the_valid_feed_has_no_problem() -> None:
    assert jsonfeed_problems(changed(lambda feed: None), url=URL) == []
    compact = json.dumps(VALID, ensure_ascii=False, separators=(",", ":")).encode()
    assert jsonfeed_problems(compact, url=URL) == []


BYTES_CASES = [
    pytest.param(b"\xef\xbb\xbf" + changed(lambda f: None), "byte order mark", id="BOM"),
    pytest.param(
        changed(lambda f: None).replace("نشرة".encode(), b"\xff"), "not UTF-8", id="latin"
    ),
    pytest.param(b'{"version": "https://jsonfeed.org/version/1.1",', "not JSON", id="truncated"),
    pytest.param(b'{"title": "a", "title": "b"}', "appears twice", id="duplicate name"),
    pytest.param(
        changed(lambda f: None).replace(b'"size_in_bytes": 48213', b'"size_in_bytes": NaN'),
        "NaN is not a JSON number",
        id="NaN",
    ),
    pytest.param(b'["https://jsonfeed.org/version/1.1"]', "must be a JSON object", id="array"),
    pytest.param(
        changed(item(0, title="TITLE")).replace(b"TITLE", b"\\ud800"),
        "lone surrogate",
        id="lone surrogate",
    ),
]


@pytest.mark.parametrize(("document", "expected"), BYTES_CASES)
def test_a_broken_document_is_caught(document: bytes, expected: str) -> None:
    assert_found(jsonfeed_problems(document, url=URL), expected)


def _move_version_last(feed: dict[str, Any]) -> None:
    feed["version"] = feed.pop("version")


CASES = [
    # the top level
    pytest.param(top(version="https://jsonfeed.org/version/1"), "/version: must be", id="1.0"),
    pytest.param(top(version=...), "/version: must be", id="no version"),
    pytest.param(_move_version_last, "first member", id="version last"),
    pytest.param(top(title=...), "/title: missing", id="no title"),
    pytest.param(top(title=" "), "/title: must not be blank", id="blank title"),
    pytest.param(top(title=7), "/title: must be a string", id="title a number"),
    pytest.param(top(title="نشرة &amp; أخبار"), "[ContainsHTML]", id="entity in title"),
    pytest.param(top(home_page_url=...), "/home_page_url: missing", id="no home page"),
    pytest.param(top(home_page_url="/"), "/home_page_url: '/' is not an absolute", id="relative"),
    pytest.param(top(feed_url=...), "/feed_url: missing", id="no feed_url"),
    pytest.param(
        top(feed_url="https://news.example/feeds/all.rss"), "is not where the feed is", id="self"
    ),
    pytest.param(top(feed_url="ftp://news.example/all.json"), "not an http(s) URL", id="ftp"),
    pytest.param(top(next_url=URL), "/next_url: must not be the feed_url", id="next is self"),
    pytest.param(top(expired="no"), "/expired: must be true or false", id="expired string"),
    pytest.param(top(language="ar_SA"), "[InvalidLanguage]", id="ar_SA"),
    pytest.param(top(language="arabic"), "[InvalidLanguage]", id="unknown language"),
    pytest.param(top(items=...), "/items: missing", id="no items"),
    pytest.param(top(items={}), "/items: must be an array", id="items an object"),
    pytest.param(top(copyright="نشرة"), "/copyright: not a JSON Feed 1.1 field", id="unknown"),
    pytest.param(top(_a_b={}), "", id="extension with underscore"),
    pytest.param(top(**{"_x.y": {}}), "an extension's name", id="extension with a dot"),
    pytest.param(top(_1={}), "an extension's name", id="extension with a digit"),
    pytest.param(top(description=None), "/description: null", id="null"),
    pytest.param(top(title="نشرة\u202e"), "unbalanced bidi control", id="bidi"),
    pytest.param(top(title="نشرة\x85"), "[BadCharacters]", id="C1 control"),
    # authors
    pytest.param(top(authors=[{}]), "needs a name, url or avatar", id="empty author"),
    pytest.param(top(authors={"name": "نشرة"}), "/authors: must be an array", id="authors object"),
    pytest.param(top(authors=[]), "/authors: an empty array", id="no authors"),
    pytest.param(top(authors=[{"name": ""}]), "/authors/0/name: must not be blank", id="blank"),
    pytest.param(top(authors=[{"url": "news.example"}]), "not an absolute IRI", id="author url"),
    pytest.param(
        top(authors=[{"name": "x", "email": "a@news.example"}]), "/authors/0/email", id="email"
    ),
    pytest.param(
        top(authors=..., author={"name": "نشرة"}), "/author: deprecated", id="author alone"
    ),
    # hubs
    pytest.param(top(hubs=[{"url": "https://hub.example/"}]), "/hubs/0/type: missing", id="type"),
    pytest.param(top(hubs=[{"type": "WebSub"}]), "/hubs/0/url: missing", id="hub url"),
    pytest.param(
        top(hubs=[{"type": "WebSub", "url": "hub.example"}]), "/hubs/0/url", id="relative hub"
    ),
    pytest.param(top(hubs=["https://hub.example/"]), "must be an object", id="hub a string"),
    # items
    pytest.param(top(items=["x"]), "/items/0: must be an object", id="item a string"),
    pytest.param(item(0, id=...), "/items/0/id: missing", id="no id"),
    pytest.param(item(0, id=1), "/items/0/id: must be a string", id="numeric id"),
    pytest.param(item(0, id=""), "/items/0/id: must not be blank", id="blank id"),
    pytest.param(item(1, id=VALID["items"][0]["id"]), "also the id of /items/0", id="same ids"),
    pytest.param(item(0, url=...), "/items/0/url: missing", id="no url"),
    pytest.param(item(0, url="/articles/1"), "/items/0/url", id="relative url"),
    pytest.param(item(0, external_url="x"), "/items/0/external_url", id="external url"),
    pytest.param(item(1, content_text=...), "needs content_html or content_text", id="no content"),
    pytest.param(item(0, title="<b>عنوان</b>"), "[ContainsHTML]", id="HTML in title"),
    pytest.param(item(0, summary="ملخص &nbsp;"), "[ContainsHTML]", id="entity in summary"),
    pytest.param(
        item(0, content_html="<p>x</p><script>alert(1)</script>"), "<script>", id="script"
    ),
    pytest.param(
        item(0, content_html='<p onclick="x()">x</p>'), "[SecurityRiskAttr]", id="onclick"
    ),
    pytest.param(
        item(0, content_html='<a href="javascript:x()">x</a>'), "script URL", id="javascript"
    ),
    pytest.param(item(0, content_html='<a href="/x">x</a>'), "[ContainsRelRef]", id="relative"),
    pytest.param(item(0, image="media/1.jpg"), "/items/0/image", id="relative image"),
    pytest.param(
        item(0, date_published="2024-05-01 09:00:00"), "[InvalidRFC3339Date]", id="not RFC 3339"
    ),
    pytest.param(
        item(0, date_published="2024-05-01T09:00:00"), "[InvalidRFC3339Date]", id="no offset"
    ),
    pytest.param(
        item(0, date_published="2024-02-30T09:00:00+03:00"), "not a real date", id="30 February"
    ),
    pytest.param(
        item(0, date_published="2999-05-01T09:00:00+03:00"), "[ImplausibleDate]", id="future"
    ),
    pytest.param(
        item(0, date_modified="2024-05-01T08:00:00+03:00"), "earlier than date_published", id="mod"
    ),
    pytest.param(item(0, tags="ثقافة"), "/items/0/tags: must be an array", id="tags a string"),
    pytest.param(item(0, tags=["ثقافة", "ثقافة"]), "appears twice", id="duplicate tag"),
    pytest.param(item(0, tags=[""]), "/items/0/tags/0: must not be blank", id="blank tag"),
    pytest.param(item(0, tags=[3]), "/items/0/tags/0: must be a string", id="numeric tag"),
    pytest.param(item(1, language="EN_us"), "[InvalidLanguage]", id="item language"),
    pytest.param(item(0, authors=[{"name": None}]), "/items/0/authors/0/name: null", id="null"),
    pytest.param(item(0, author={"name": "x"}, authors=...), "deprecated", id="author alone"),
    pytest.param(item(0, guid="1"), "/items/0/guid: not a JSON Feed 1.1 field", id="guid"),
    # attachments
    pytest.param(
        item(0, attachments=[{"url": "https://news.example/1.jpg"}]),
        "/items/0/attachments/0/mime_type: missing",
        id="no mime_type",
    ),
    pytest.param(
        item(0, attachments=[{"mime_type": "image/jpeg"}]),
        "/items/0/attachments/0/url: missing",
        id="no attachment url",
    ),
    pytest.param(
        item(0, attachments=[{"url": "https://news.example/1.jpg", "mime_type": "jpeg"}]),
        "[InvalidMIMEType]",
        id="bad mime_type",
    ),
    pytest.param(
        item(
            0,
            attachments=[
                {
                    "url": "https://news.example/1.jpg",
                    "mime_type": "image/jpeg",
                    "size_in_bytes": -1,
                }
            ],
        ),
        "size_in_bytes: must be a non-negative integer",
        id="negative size",
    ),
    pytest.param(
        item(
            0,
            attachments=[
                {
                    "url": "https://news.example/1.jpg",
                    "mime_type": "image/jpeg",
                    "size_in_bytes": "48 KB",
                }
            ],
        ),
        "size_in_bytes: must be a non-negative integer",
        id="size a string",
    ),
    pytest.param(
        item(
            0,
            attachments=[
                {
                    "url": "https://news.example/1.jpg",
                    "mime_type": "image/jpeg",
                    "duration_in_seconds": True,
                }
            ],
        ),
        "duration_in_seconds: must be a non-negative number",
        id="duration a boolean",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), CASES)
def test_each_problem_is_caught(edit: Callable[[dict[str, Any]], object], expected: str) -> None:
    problems = jsonfeed_problems(changed(edit), url=URL)
    if expected:
        assert_found(problems, expected)
    else:  # a change that must stay valid
        assert problems == []
