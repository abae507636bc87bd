"""The feed page: language and direction, every value escaped, links from the registry."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from datetime import UTC, datetime

import lxml.html
import pytest

from feeds.config.settings import Settings
from feeds.formats import atom, html, rss
from feeds.formats.base import FeedDocument
from feeds.formats.registry import BY_EXTENSION, FORMATS, HTML_VIEW
from feeds.model.entries import entry_view
from feeds.model.spec import FeedSpec, feed_specs
from store.types import Article, Image
from tests.support import builders

MODIFIED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
HOSTILE = "خبر <script>alert(1)</script> \"quoted\" & 'single' <b>bold</b> </article></main>"


def article(index: int, **changes: object) -> Article:
    fields: dict[str, object] = {
        "published": datetime.fromisoformat("2026-10-01T11:59:00+03:00"),
        "author": "ليلى منصور",
        "summary": f"ملخص {index}",
        "image": Image(f"https://news.example/media/a-{index}.jpg", "image/jpeg", 1234),
    }
    return builders.article(index, **{**fields, **changes})


def page(settings: Settings, *articles: Article, feed: str = "politics") -> lxml.html.HtmlElement:
    return lxml.html.fromstring(render(feed_specs(settings)[feed], *articles))


def render(spec: FeedSpec, *articles: Article) -> bytes:
    views = [entry_view(spec, a, {}, rtl_mark=True) for a in articles]
    return HTML_VIEW.render(FeedDocument(spec, views, MODIFIED, 15, "test"))


def test_the_page_and_each_entry_state_their_language_and_direction(settings: Settings) -> None:
    root = page(settings, article(1), article(2, language="en", title="Summit opens"))
    assert (root.get("lang"), root.get("dir")) == ("ar", "rtl")
    entries = root.findall(".//article")
    assert [(e.get("lang"), e.get("dir")) for e in entries] == [("ar", "rtl"), ("en", "ltr")]
    english = page(settings, article(3, language="en"), feed="english")
    assert (english.get("lang"), english.get("dir")) == ("en", "ltr")


def test_each_entry_shows_title_link_date_author_summary_and_image(settings: Settings) -> None:
    entry = page(settings, article(1)).find(".//article")
    link = entry.find("h2/a")
    assert (link.text, link.get("href")) == ("عنوان 1", "https://news.example/a-1/")
    time = entry.find(".//time")
    assert time.get("datetime") == "2026-10-01T11:59:00+03:00"
    assert time.text == "2026-10-01 11:59 UTC+3"
    assert entry.find(".//*[@class='author']").text == "ليلى منصور"
    assert [p.text for p in entry.findall("p")][-1] == "ملخص 1"
    image = entry.find("img")
    assert image.get("src") == "https://news.example/media/a-1.jpg"
    assert image.get("alt") == ""  # none given: the title follows it (module docstring)
    alt = "<صورة> & وصف"  # escaped, as every value
    described = Image("https://news.example/m.jpg", "image/jpeg", alt=alt, width=800, height=450)
    img = page(settings, article(3, image=described)).find(".//article/img")
    assert (img.get("alt"), img.get("width"), img.get("height")) == (alt, "800", "450")
    bare = page(settings, article(2, image=None, author=None)).find(".//article")
    assert bare.find("img") is None
    assert bare.find(".//*[@class='author']") is None


def test_article_text_is_text_everywhere_never_markup(settings: Settings) -> None:
    link = 'https://news.example/a-1/?q="><script>alert(1)</script>'
    hostile = article(1, title=HOSTILE, author=HOSTILE, summary=HOSTILE, link=link)
    spec = dataclasses.replace(feed_specs(settings)["politics"], title=HOSTILE, description=HOSTILE)
    body = render(spec, hostile)
    assert b"<script" not in body and b"<b>" not in body
    root = lxml.html.fromstring(body)
    assert root.find(".//script") is None and root.find(".//b") is None
    entry = root.find(".//article")
    assert entry.find("h2/a").text == HOSTILE
    assert entry.find("h2/a").get("href") == link
    assert entry.find(".//*[@class='author']").text == HOSTILE
    assert entry.findall("p")[-1].text == HOSTILE
    assert root.findtext(".//title") == HOSTILE
    assert root.find(".//h1").text == HOSTILE
    assert {link.get("title") for link in root.findall("head/link")} == {
        f"{HOSTILE} ({fmt.label})" for fmt in FORMATS
    }
    assert len(root.findall(".//article")) == 1


def test_content_security_policy_allows_exactly_the_page_style(settings: Settings) -> None:
    root = page(settings, article(1))
    style = root.find("head/style").text
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = dict(HTML_VIEW.headers)["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in policy
    assert policy.startswith("default-src 'none';")  # so no script, whatever the page holds
    assert "script-src" not in policy


def test_links_autodiscovery_and_the_url_to_copy_come_from_the_formats_given(
    settings: Settings,
) -> None:
    spec = feed_specs(settings)["politics"]
    extra = dataclasses.replace(rss.FORMAT, extension="xml", media_type="text/xml", label="X")
    doc = FeedDocument(spec, [], MODIFIED, 15, "test")
    root = lxml.html.fromstring(html.page_format((rss.FORMAT, extra), atom.FORMAT).render(doc))
    assert [(a.get("href"), a.text) for a in root.findall(".//*[@class='formats']/a")] == [
        ("https://news.example/feeds/politics.rss", "RSS 2.0"),
        ("https://news.example/feeds/politics.xml", "X"),
    ]
    assert [(x.get("rel"), x.get("type")) for x in root.findall("head/link")] == [
        ("alternate", "application/rss+xml"),
        ("alternate", "text/xml"),
    ]
    assert root.find(".//code").text == "https://news.example/feeds/politics.atom"


def test_the_registry_page_links_every_syndication_format_and_is_not_one(
    settings: Settings,
) -> None:
    assert HTML_VIEW not in FORMATS
    assert HTML_VIEW.extension not in BY_EXTENSION
    root = page(settings)
    discovered = [(x.get("type"), x.get("href")) for x in root.findall("head/link")]
    assert discovered == [
        (fmt.media_type, f"https://news.example/feeds/politics.{fmt.extension}") for fmt in FORMATS
    ]
    assert root.find(".//code").text == "https://news.example/feeds/politics.atom"


@pytest.mark.parametrize(
    ("language", "expected", "marked"),
    [("ar", "لا أخبار بعد.", None), ("fa", "هنوز خبری نیست.", None),
     ("en", "Nothing here yet.", None), ("de", "Nothing here yet.", ("en", "ltr"))],
)  # fmt: skip
def test_the_page_words_are_in_the_feed_language_or_marked_english(
    settings: Settings, language: str, expected: str, marked: tuple[str, str] | None
) -> None:
    spec = dataclasses.replace(feed_specs(settings)["politics"], language=language)
    root = lxml.html.fromstring(render(spec))
    empty = root.find("body/main/p")
    assert empty.text == expected
    subscribe = root.find(".//section")
    for element in (empty, subscribe):
        found = (element.get("lang"), element.get("dir"))
        assert found == (marked or (None, None))


@pytest.mark.parametrize(
    ("moment", "shown"),
    [("2026-10-01T11:59:00+03:00", "2026-10-01 11:59 UTC+3"),
     ("2026-10-01T11:59:00+03:30", "2026-10-01 11:59 UTC+3:30"),
     ("2026-10-01T06:05:00-05:00", "2026-10-01 06:05 UTC-5"),
     ("2026-10-01T08:59:00+00:00", "2026-10-01 08:59 UTC")],
)  # fmt: skip
def test_dates_read_in_the_publisher_time_with_its_offset(moment: str, shown: str) -> None:
    assert html.local_time(datetime.fromisoformat(moment)) == shown
