"""JSON Feed 1.1: what the renderer writes, and every ``.json`` feed read back over HTTP.

The renderer's cases build documents directly; the round trip imports
articles in every language, fetches each feed as JSON Feed (checked by the
strict checker on the way, :mod:`tests.support.jsonfeed_validator`) and as
Atom, and reads both back: with a JSON Feed reader (fastfeedparser, which
also reads Atom), and with json and lxml for the exact values. The two
formats must carry the same entries, in the same order, with the same ids,
titles, links, dates, authors, tags, enclosures, summaries and content.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import fastfeedparser
import pytest
from lxml import etree

from feeds.config.settings import Settings
from feeds.formats.base import FeedDocument
from feeds.formats.registry import BY_EXTENSION
from feeds.model.entries import entry_view
from feeds.model.spec import FeedSpec, feed_specs
from store.types import Article, Image
from tests.support import builders
from tests.support.commands import ImportRecords
from tests.support.fetch import Fetch
from tests.support.jsonfeed_validator import jsonfeed_problems

MODIFIED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
PUBLISHED = datetime.fromisoformat("2026-10-01T11:59:00+03:00")
UPDATED = datetime.fromisoformat("2026-10-01T12:30:00.250000+03:00")
URL = "https://news.example/feeds/politics.json"
ATOM = {"atom": "http://www.w3.org/2005/Atom"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STRICT = etree.XMLParser(recover=False, resolve_entities=False)
FEEDS = ["politics", "farsi", "urdu", "english", "francais", "all", "breaking"]  # economy: empty
RECORDS = builders.mixed_records(60)


def article(**changes: object) -> Article:
    fields: dict[str, object] = {
        "id": "a-1",
        "title": "عنوان",
        "link": "https://news.example/2026/10/01/a-1/",
        "published": PUBLISHED,
        "updated": UPDATED,
        "categories": ("politics", "economy"),
        "language": "ar",
        "author": "ليلى منصور",
        "summary": "ملخص",
        "content": "<p>نص</p>",
        "image": Image("https://news.example/media/a-1.jpg", "image/jpeg", 1234),
    }
    fields.update(changes)
    return Article(**fields)  # type: ignore[arg-type]


def politics(settings: Settings) -> FeedSpec:
    return feed_specs(settings)["politics"]


def render(spec: FeedSpec, *articles: Article) -> bytes:
    titles = {"politics": "سياسة", "economy": "اقتصاد"}
    views = [entry_view(spec, a, titles, rtl_mark=True) for a in articles]
    return BY_EXTENSION["json"].render(FeedDocument(spec, views, MODIFIED, 15, "test"))


def rendered(spec: FeedSpec, *articles: Article) -> dict[str, Any]:
    """The document, after the checker found no problem in it."""
    document = render(spec, *articles)
    assert jsonfeed_problems(document, url=spec.url("json")) == []
    return json.loads(document)  # type: ignore[no-any-return]


def nulls(value: Any, path: str = "") -> Iterator[str]:
    if value is None:
        yield path
    elif isinstance(value, dict):
        for name, member in value.items():
            yield from nulls(member, f"{path}/{name}")
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from nulls(member, f"{path}/{index}")


# --- the renderer ---------------------------------------------------------------------------------


def test_the_feed_states_its_version_first_then_who_where_and_what_language(
    settings: Settings,
) -> None:
    feed = rendered(politics(settings))
    assert list(feed) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "authors",
        "items",
    ]
    assert feed == {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "نشرة — سياسة",
        "home_page_url": "https://news.example/",
        "feed_url": URL,
        "description": "أخبار السياسة",
        "language": "ar",
        "authors": [{"name": "نشرة", "url": "https://news.example/"}],
        "items": [],
    }


def test_a_websub_hub_is_announced_in_hubs(settings: Settings) -> None:
    spec = dataclasses.replace(politics(settings), hub="https://hub.example/")
    feed = rendered(spec)
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]
    assert list(feed)[-2:] == ["hubs", "items"]


def test_an_item_carries_everything_atom_does(settings: Settings) -> None:
    (item,) = rendered(politics(settings), article())["items"]
    assert item == {
        "id": "tag:news.example,2026:article:a-1",
        "url": "https://news.example/2026/10/01/a-1/",
        "title": "عنوان",
        "content_html": '<div dir="rtl" lang="ar"><p>نص</p></div>',
        "summary": "ملخص",
        "image": "https://news.example/media/a-1.jpg",
        "date_published": "2026-10-01T11:59:00+03:00",
        "date_modified": "2026-10-01T12:30:00.250000+03:00",
        "authors": [{"name": "ليلى منصور"}],
        "tags": ["سياسة", "اقتصاد"],
        "attachments": [
            {
                "url": "https://news.example/media/a-1.jpg",
                "mime_type": "image/jpeg",
                "size_in_bytes": 1234,
            }
        ],
    }
    assert list(item) == list(item.keys())  # the fixed order the comparison above shows
    assert "language" not in item  # the feed's own language: not repeated


def test_a_sparse_item_leaves_absent_fields_out_and_still_has_content(settings: Settings) -> None:
    flash = article(author=None, summary=None, content=None, image=None)
    feed = rendered(politics(settings), flash)
    assert list(nulls(feed)) == []
    (item,) = feed["items"]
    assert "content_html" not in item
    assert item["content_text"] == item["summary"] == "عنوان"  # the title stands in, as in Atom
    for absent in ("authors", "image", "attachments", "language"):
        assert absent not in item


def test_body_without_summary_gets_an_excerpt_as_summary(settings: Settings) -> None:
    (item,) = rendered(politics(settings), article(summary=None))["items"]
    assert item["summary"] == "نص"
    assert item["content_html"] == '<div dir="rtl" lang="ar"><p>نص</p></div>'


def test_an_item_states_its_language_only_when_it_differs(settings: Settings) -> None:
    english = article(id="a-2", language="en", title="iPhone 17 arrives", content="<p>x</p>")
    arabic = article(title="iPhone 17 يصل")
    first, second = rendered(politics(settings), english, arabic)["items"]
    assert first["language"] == "en"
    assert first["content_html"] == '<div dir="ltr" lang="en"><p>x</p></div>'
    assert first["title"] == "iPhone 17 arrives"
    assert "language" not in second
    assert second["title"] == "\u200fiPhone 17 يصل"  # the right-to-left mark, as in Atom


def test_same_input_renders_identical_compact_utf8_bytes(settings: Settings) -> None:
    spec = politics(settings)
    document = render(spec, article(), article(id="a-2"))
    assert render(spec, article(), article(id="a-2")) == document
    assert document.startswith(b'{"version":"https://jsonfeed.org/version/1.1","title":')
    # compact, UTF-8 rather than \\u escapes, and the keys in the order written
    compact = json.dumps(json.loads(document), ensure_ascii=False, separators=(",", ":"))
    assert document == compact.encode()
    assert "نشرة — سياسة".encode() in document


# --- read back over HTTP, against Atom ------------------------------------------------------------


@pytest.fixture
def imported(import_records: ImportRecords) -> None:
    flash = builders.record(90, summary=None, content=None, author=None, image=None)
    assert import_records([*RECORDS, flash]).code == 0


def _atom_entries(document: bytes) -> list[dict[str, Any]]:
    """What an Atom feed says of each entry, read exactly with lxml."""
    root = etree.fromstring(document, STRICT)
    entries = []
    for entry in root.iterfind("atom:entry", ATOM):
        links = {link.get("rel"): link.attrib for link in entry.iterfind("atom:link", ATOM)}
        enclosure = links.get("enclosure")
        entries.append(
            {
                "id": entry.findtext("atom:id", namespaces=ATOM),
                "url": links["alternate"]["href"],
                "title": entry.findtext("atom:title", namespaces=ATOM),
                "content_html": entry.findtext("atom:content", namespaces=ATOM),
                "summary": entry.findtext("atom:summary", namespaces=ATOM),
                "date_published": entry.findtext("atom:published", namespaces=ATOM),
                "date_modified": entry.findtext("atom:updated", namespaces=ATOM),
                "author": entry.findtext("atom:author/atom:name", namespaces=ATOM),
                "tags": [c.get("label") for c in entry.iterfind("atom:category", ATOM)],
                "language": entry.get(XML_LANG),
                "enclosure": None
                if enclosure is None
                else (enclosure["href"], enclosure["type"], int(enclosure["length"])),
            }
        )
    return entries


def _json_entries(document: bytes) -> list[dict[str, Any]]:
    """The same, read from a JSON Feed document with the json module."""
    entries = []
    for item in json.loads(document)["items"]:
        attachments = item.get("attachments", [])
        assert len(attachments) <= 1
        assert item.get("image") == next((a["url"] for a in attachments), None)
        entries.append(
            {
                "id": item["id"],
                "url": item["url"],
                "title": item["title"],
                "content_html": item.get("content_html"),
                "summary": item["summary"],
                "date_published": item["date_published"],
                "date_modified": item["date_modified"],
                "author": item["authors"][0]["name"] if "authors" in item else None,
                "tags": item["tags"],
                "language": item.get("language"),
                "enclosure": next(
                    ((a["url"], a["mime_type"], a["size_in_bytes"]) for a in attachments), None
                ),
            }
        )
    return entries


def _as_read(entry: Any) -> dict[str, Any]:
    """What a reader shows of an entry parsed by fastfeedparser, whatever the format."""
    return {
        "id": entry["id"],
        "link": entry["link"],
        "title": entry["title"],
        "published": entry["published"],
        "updated": entry["updated"],
        "author": entry.get("author"),
        "tags": [
            tag["term"] if tag.get("label") is None else tag["label"]
            for tag in entry.get("tags", [])
        ],
        "content": [
            c["value"] for c in entry.get("content", []) if c["type"] in ("html", "text/html")
        ],
    }


@pytest.mark.usefixtures("imported")
@pytest.mark.parametrize("feed", FEEDS)
def test_every_json_feed_reads_back_as_its_atom_feed(feed: str, fetch: Fetch) -> None:
    as_json = fetch(f"/feeds/{feed}.json")  # the checker finds no problem
    as_atom = fetch(f"/feeds/{feed}.atom")
    exact_json, exact_atom = _json_entries(as_json.content), _atom_entries(as_atom.content)
    assert exact_atom, "an empty feed proves nothing"
    assert exact_json == exact_atom

    reader = fastfeedparser.parse(as_json.content)
    atom_reader = fastfeedparser.parse(as_atom.content)
    document = json.loads(as_json.content)
    atom = etree.fromstring(as_atom.content, STRICT)
    assert reader.feed.title == document["title"] == atom.findtext("atom:title", namespaces=ATOM)
    assert reader.feed.link == "https://news.example/"
    assert reader.feed.language == atom.get(XML_LANG) == as_json.headers["content-language"]
    assert [_as_read(e) for e in reader.entries] == [_as_read(e) for e in atom_reader.entries]
    # fastfeedparser reads no enclosure from Atom links: compare the JSON side with lxml's
    enclosures = [
        [(e["url"], e["type"], int(e["length"])) for e in entry.get("enclosures", [])]
        for entry in reader.entries
    ]
    assert enclosures == [[e["enclosure"]] if e["enclosure"] else [] for e in exact_atom]


@pytest.mark.usefixtures("imported")
def test_the_reader_sees_the_flash_without_content_as_text(fetch: Fetch) -> None:
    reader = fastfeedparser.parse(fetch("/feeds/politics.json").content)
    (flash,) = [e for e in reader.entries if e["id"].endswith(":article:t-00090")]
    assert flash["content"] == [{"type": "text/plain", "value": flash["title"]}]


def test_an_empty_feed_is_valid(fetch: Fetch) -> None:
    response = fetch("/feeds/economy.json")  # the checker finds no problem
    reader = fastfeedparser.parse(response.content)
    assert reader.entries == []
    assert reader.feed.title == "نشرة — اقتصاد"
