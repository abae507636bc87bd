"""Import articles, fetch every feed over HTTP, read them back with lxml and feedparser."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import feedparser
import pytest
from lxml import etree

from feeds.model.language import direction
from tests.support import builders
from tests.support.commands import ImportRecords
from tests.support.fetch import Fetch

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED_LANGUAGES = {
    "politics": "ar",
    "economy": "ar",
    "farsi": "fa",
    "urdu": "ur",
    "english": "en",
    "francais": "fr",
    "all": "ar",
    "breaking": "ar",
}
TITLES = {
    "politics": "سياسة",
    "economy": "اقتصاد",
    "farsi": "فارسی",
    "urdu": "اردو",
    "english": "English edition",
    "francais": "Édition française",
}
RECORDS = builders.mixed_records(60)
STRICT = etree.XMLParser(recover=False, resolve_entities=False)


def members(feed: str) -> list[dict[str, Any]]:
    """The imported records that belong to ``feed``, newest first, at most 50."""
    chosen = [
        r
        for r in RECORDS
        if feed == "all" or (feed == "breaking" and r["breaking"]) or feed in r["categories"]
    ]
    chosen.sort(key=lambda r: datetime.fromisoformat(r["published"]), reverse=True)
    return chosen[:50]


@pytest.fixture
def imported(import_records: ImportRecords) -> None:
    assert import_records(RECORDS).code == 0


def parsed(document: bytes) -> feedparser.FeedParserDict:
    result = feedparser.parse(document)
    assert not result.bozo, result.get("bozo_exception")
    return result


@pytest.mark.usefixtures("imported")
@pytest.mark.parametrize("feed", list(FEED_LANGUAGES))
def test_rss_round_trip(feed: str, fetch: Fetch) -> None:
    document = fetch(f"/feeds/{feed}.rss").content
    root = etree.fromstring(document, STRICT)
    channel = root.find("channel")
    assert channel.findtext("language") == FEED_LANGUAGES[feed]
    assert channel.findtext("link") == "https://news.example/"
    self_link = channel.find("atom:link[@rel='self']", NS)
    assert self_link.get("href") == f"https://news.example/feeds/{feed}.rss"
    assert root.xpath("//@dir") == []  # never on RSS elements themselves
    expected = members(feed)
    items = channel.findall("item")
    assert [i.findtext("link") for i in items] == [r["link"] for r in expected]
    for item, record in zip(items, expected, strict=True):
        assert item.findtext("guid") == f"tag:news.example,2026:article:{record['id']}"
        assert item.find("guid").get("isPermaLink") == "false"
        assert item.findtext("title").lstrip("\u200f") == record["title"]
        assert item.findtext("description") == record["summary"]
        assert item.findtext("dc:creator", namespaces=NS) == record["author"]
        assert [c.text for c in item.findall("category")] == [
            TITLES[c] for c in record["categories"]
        ]
        enclosure = item.find("enclosure")
        assert enclosure.attrib == {
            "url": record["image"]["url"],
            "length": str(record["image"]["length"]),
            "type": "image/jpeg",
        }
        own_language = item.findtext("dc:language", namespaces=NS)
        differs = record["language"] != FEED_LANGUAGES[feed]
        assert own_language == (record["language"] if differs else None)
        content = etree.fromstring(item.findtext("content:encoded", namespaces=NS))
        assert content.tag == "div"
        assert content.get("lang") == record["language"]
        assert content.get("dir") == direction(record["language"])
    reader = parsed(document)
    assert reader.feed.language == FEED_LANGUAGES[feed]
    for entry, record in zip(reader.entries, expected, strict=True):
        assert entry.link == record["link"]
        assert entry.published_parsed[:6] == _utc_tuple(record["published"])
        assert entry.author == record["author"]


@pytest.mark.usefixtures("imported")
@pytest.mark.parametrize("feed", list(FEED_LANGUAGES))
def test_atom_round_trip(feed: str, fetch: Fetch) -> None:
    document = fetch(f"/feeds/{feed}.atom").content
    root = etree.fromstring(document, STRICT)
    assert root.get(XML_LANG) == FEED_LANGUAGES[feed]
    assert root.findtext("atom:id", namespaces=NS) == f"tag:news.example,2026:feed:{feed}"
    links = {(link.get("rel"), link.get("href")) for link in root.findall("atom:link", NS)}
    assert ("self", f"https://news.example/feeds/{feed}.atom") in links
    assert ("alternate", "https://news.example/") in links
    assert root.xpath("//@dir") == []
    expected = members(feed)
    entries = root.findall("atom:entry", NS)
    assert len(entries) == len(expected)
    for entry, record in zip(entries, expected, strict=True):
        assert entry.findtext("atom:id", namespaces=NS) == (
            f"tag:news.example,2026:article:{record['id']}"
        )
        entry_links = [link.attrib for link in entry.findall("atom:link", NS)]
        assert entry_links == [
            {"rel": "alternate", "type": "text/html", "href": record["link"]},
            {
                "rel": "enclosure",
                "type": "image/jpeg",
                "length": str(record["image"]["length"]),
                "href": record["image"]["url"],
            },
        ]
        assert _when(entry, "published") == datetime.fromisoformat(record["published"])
        assert _when(entry, "updated") == datetime.fromisoformat(record["updated"])
        assert [(c.get("term"), c.get("label")) for c in entry.findall("atom:category", NS)] == [
            (c, TITLES[c]) for c in record["categories"]
        ]
        differs = record["language"] != FEED_LANGUAGES[feed]
        assert entry.get(XML_LANG) == (record["language"] if differs else None)
        content = entry.find("atom:content", NS)
        assert content.get("type") == "html"
        wrapper = etree.fromstring(content.text)
        assert (wrapper.get("dir"), wrapper.get("lang")) == (
            direction(record["language"]),
            record["language"],
        )
        assert 'href="https://news.example/related/' in content.text  # made absolute
    reader = parsed(document)
    for entry, record in zip(reader.entries, expected, strict=True):
        assert entry.id == f"tag:news.example,2026:article:{record['id']}"
        assert entry.title.lstrip("\u200f") == record["title"]
        assert entry.author == record["author"]
        assert [link.rel for link in entry.links] == ["alternate", "enclosure"]


@pytest.mark.usefixtures("imported")
def test_ids_are_identical_in_every_feed(fetch: Fetch) -> None:
    """The same article has the same id in each feed it appears in, in every format."""
    seen: dict[str, set[str]] = {}
    formats: dict[str, set[str]] = {}
    for feed in FEED_LANGUAGES:
        for fmt in ("atom", "rss"):
            for entry in parsed(fetch(f"/feeds/{feed}.{fmt}").content).entries:
                seen.setdefault(entry.link, set()).add(entry.id)
                formats.setdefault(entry.link, set()).add(fmt)
        for item in json.loads(fetch(f"/feeds/{feed}.json").content)["items"]:
            seen.setdefault(item["url"], set()).add(item["id"])
            formats.setdefault(item["url"], set()).add("json")
    assert seen and all(len(ids) == 1 for ids in seen.values())
    assert all(found == {"atom", "rss", "json"} for found in formats.values())


def test_empty_feed_is_valid(fetch: Fetch) -> None:
    for fmt in ("rss", "atom"):
        response = fetch(f"/feeds/economy.{fmt}")  # the validator finds no problem
        etree.fromstring(response.content, STRICT)
        reader = parsed(response.content)
        assert reader.entries == []
        assert reader.feed.title == "نشرة — اقتصاد"


def _when(entry: etree._Element, name: str) -> datetime:
    return datetime.fromisoformat(entry.findtext(f"atom:{name}", namespaces=NS))


def _utc_tuple(value: str) -> tuple[int, ...]:
    return datetime.fromisoformat(value).astimezone(UTC).timetuple()[:6]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_sparse_articles_are_valid(fetch: Fetch, import_records: ImportRecords, fmt: str) -> None:
    """A flash with only a title, and a story with a body but no summary."""
    flash = builders.record(1, summary=None, content=None, author=None, image=None)
    body_only = builders.record(2, summary=None)
    assert import_records([flash, body_only]).code == 0
    document = fetch(f"/feeds/politics.{fmt}").content  # the validator finds no problem
    assert not parsed(document).bozo
