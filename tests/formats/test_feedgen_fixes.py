"""feedgen's known defects, each shown fixed in what nashra renders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from feeds.config.settings import Settings
from feeds.formats.base import FeedDocument
from feeds.formats.registry import BY_EXTENSION
from feeds.model.entries import entry_view
from feeds.model.spec import feed_specs
from store.types import Article, Image
from tests.support import builders

NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/"}
MODIFIED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
PUBLISHED = datetime.fromisoformat("2026-10-01T11:59:00+03:00")
UPDATED = datetime.fromisoformat("2026-10-01T12:30:00+03:00")


def article(**changes: object) -> Article:
    """The builders' article with the dates and parts these tests read back."""
    fields: dict[str, object] = {
        "link": "https://news.example/2026/10/01/a-1/",
        "published": PUBLISHED,
        "updated": UPDATED,
        "content": "<p>نص</p>",
        "image": Image("https://news.example/media/a-1.jpg", "image/jpeg", 1234),
        "title": "عنوان",
        "breaking": False,
    }
    return builders.article(1, **{**fields, **changes})


def rendered(settings: Settings, fmt: str, *articles: Article) -> etree._Element:
    spec = feed_specs(settings)["politics"]
    views = [entry_view(spec, a, {"politics": "سياسة"}, rtl_mark=True) for a in articles]
    document = BY_EXTENSION[fmt].render(FeedDocument(spec, views, MODIFIED, 15, "test"))
    return etree.fromstring(document)


def test_dates_are_the_given_ones_never_now(settings: Settings) -> None:
    atom = rendered(settings, "atom", article())
    assert atom.findtext("atom:updated", namespaces=NS) == "2026-11-02T09:30:00+00:00"
    entry = atom.find("atom:entry", NS)
    assert entry.findtext("atom:updated", namespaces=NS) == "2026-10-01T12:30:00+03:00"
    assert entry.findtext("atom:published", namespaces=NS) == "2026-10-01T11:59:00+03:00"
    channel = rendered(settings, "rss", article()).find("channel")
    assert channel.findtext("lastBuildDate") == "Mon, 02 Nov 2026 09:30:00 +0000"
    assert channel.findtext("pubDate") == "Mon, 02 Nov 2026 09:30:00 +0000"
    assert channel.find("item").findtext("pubDate") == "Thu, 01 Oct 2026 11:59:00 +0300"


def test_same_input_renders_identical_bytes(settings: Settings) -> None:
    spec = feed_specs(settings)["politics"]
    views = [entry_view(spec, article(), {}, rtl_mark=True)]
    for fmt in BY_EXTENSION:
        doc = FeedDocument(spec, views, MODIFIED, 15, "t")
        assert BY_EXTENSION[fmt].render(doc) == BY_EXTENSION[fmt].render(doc)


def test_rss_channel_link_is_the_alternate_not_the_last_added(settings: Settings) -> None:
    channel = rendered(settings, "rss", article()).find("channel")
    assert channel.findtext("link") == "https://news.example/"
    self_link = channel.find("atom:link", NS)
    assert self_link.attrib == {
        "href": "https://news.example/feeds/politics.rss",
        "rel": "self",
        "type": "application/rss+xml",
    }


@pytest.mark.parametrize(("summary", "description"), [(None, "نص"), ("ملخص", "ملخص")])
def test_rss_content_never_lands_in_description(
    settings: Settings, summary: str | None, description: str
) -> None:
    """Without a summary, the description is the body's plain text, never its HTML."""
    item = rendered(settings, "rss", article(summary=summary)).find("channel/item")
    assert item.findtext("description") == description
    assert item.findtext("content:encoded", namespaces=NS) == (
        '<div dir="rtl" lang="ar"><p>نص</p></div>'
    )


@pytest.mark.parametrize(
    ("changes", "summary"),
    [
        pytest.param({"summary": "a < b & c"}, "\u200fa < b & c", id="summary"),
        pytest.param({"summary": "خبر <عاجل> &amp; نص"}, "خبر <عاجل> &amp; نص", id="Arabic"),
        pytest.param({"content": "<p>NASA &lt; 2 &amp; y</p>"}, "\u200fNASA < 2 & y", id="excerpt"),
        pytest.param({"content": None, "title": "AT&T <b>"}, "\u200fAT&T <b>", id="title only"),
    ],
)
def test_rss_description_is_plain_text_escaped_as_html(
    settings: Settings, changes: dict[str, object], summary: str
) -> None:
    """RSS description is HTML: the plain summary or its stand-in is escaped, once; Atom's
    summary is type="text" and carries it as it is. The right-to-left mark stays a character."""
    item = rendered(settings, "rss", article(**changes)).find("channel/item")
    escaped = summary.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert item.findtext("description") == escaped
    entry = rendered(settings, "atom", article(**changes)).find("atom:entry", NS)
    assert entry.findtext("atom:summary", namespaces=NS) == summary
    assert entry.find("atom:summary", NS).get("type") == "text"


def test_atom_entry_links_keep_rel_type_and_length(settings: Settings) -> None:
    entry = rendered(settings, "atom", article()).find("atom:entry", NS)
    links = [link.attrib for link in entry.findall("atom:link", NS)]
    assert links == [
        {"rel": "alternate", "type": "text/html", "href": "https://news.example/2026/10/01/a-1/"},
        {
            "rel": "enclosure",
            "type": "image/jpeg",
            "length": "1234",
            "href": "https://news.example/media/a-1.jpg",
        },
    ]


def test_atom_entry_without_image_has_one_alternate_link(settings: Settings) -> None:
    entry = rendered(settings, "atom", article(image=None)).find("atom:entry", NS)
    assert [link.get("rel") for link in entry.findall("atom:link", NS)] == ["alternate"]


def test_rtl_title_starting_with_latin_gets_a_mark(settings: Settings) -> None:
    entry = rendered(settings, "atom", article(title="iPhone 17 يصل")).find("atom:entry", NS)
    assert entry.findtext("atom:title", namespaces=NS) == "\u200fiPhone 17 يصل"
    plain = rendered(settings, "atom", article(title="يصل iPhone 17")).find("atom:entry", NS)
    assert plain.findtext("atom:title", namespaces=NS) == "يصل iPhone 17"


def test_rtl_content_starting_with_latin_gets_a_mark_inside_its_wrapper(
    settings: Settings,
) -> None:
    item = rendered(settings, "rss", article(content="<p><b>NASA</b> تطلق</p>")).find(
        "channel/item"
    )
    assert item.findtext("content:encoded", namespaces=NS) == (
        '<div dir="rtl" lang="ar">\u200f<p><b>NASA</b> تطلق</p></div>'
    )


def test_ltr_entry_gets_no_mark(settings: Settings) -> None:
    english = article(title="iPhone 17 arrives", language="en", content="<p>Text</p>")
    item = rendered(settings, "rss", english).find("channel/item")
    assert item.findtext("title") == "iPhone 17 arrives"
    assert item.findtext("content:encoded", namespaces=NS).startswith(
        '<div dir="ltr" lang="en"><p>'
    )
    assert item.findtext("{http://purl.org/dc/elements/1.1/}language") == "en"


@pytest.mark.parametrize(
    ("content", "marked"),
    [
        ("<p>" + "، " * 200 + "&amp;abc</p>", True),  # the first letter is far in
        ("<p>" + "، " * 126 + "<b>NASA</b> يقول</p>", True),  # a tag across the first window
        ('<a href="' + "x" * 300 + '">مرحبا</a>', False),  # a long tag is no text
        ("<p>" + "1 " * 2000 + "مرحبا</p>", False),
    ],
)
def test_content_mark_looks_as_far_as_the_first_letter(
    settings: Settings, content: str, marked: bool
) -> None:
    item = rendered(settings, "rss", article(content=content)).find("channel/item")
    text = item.findtext("content:encoded", namespaces=NS)
    assert text.startswith('<div dir="rtl" lang="ar">\u200f') is marked


def test_a_long_body_gives_a_short_plain_excerpt(settings: Settings) -> None:
    body = "<p>" + "كلمة " * 200 + "</p>"
    item = rendered(settings, "rss", article(content=body)).find("channel/item")
    excerpt = item.findtext("description")
    assert excerpt.endswith("…") and len(excerpt) <= 301
    assert "<" not in excerpt
