"""The index page: every feed in every format and the OPML list, in the site's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import lxml.html
import pytest
from lxml import html
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.config.loader import load_settings
from feeds.formats.registry import FORMATS
from tests.support.config import MakeConfig
from tests.support.fetch import Fetch

FEEDS = ["politics", "economy", "farsi", "urdu", "english", "francais", "all", "breaking"]
MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",  # JSON Feed 1.1: discovery prefers it to application/json
}


def test_index_page_lists_every_feed_with_autodiscovery(fetch: Fetch) -> None:
    response = fetch("/")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<html lang="ar" dir="rtl">' in page
    root = lxml.html.document_fromstring(page)
    discovery = {
        (link.get("type"), link.get("href"))
        for link in root.head.iterfind("link[@rel='alternate']")
        if link.get("type") != "text/x-opml"  # the site's subscription list, tested below
    }
    formats = "//tbody/tr/td[position() > 2]/a"  # after the feed's title and language
    listed = set(root.body.xpath(f"{formats}/@href"))
    for feed in FEEDS:
        for fmt, media in MEDIA_TYPES.items():
            url = f"https://news.example/feeds/{feed}.{fmt}"
            assert (media, url) in discovery
            assert url in listed
    assert len(discovery) == len(listed) == len(FEEDS) * len(MEDIA_TYPES)
    labels = set(root.body.xpath(f"{formats}/text()"))
    assert labels == {"RSS 2.0", "Atom 1.0", "JSON Feed 1.1"}
    assert "<code>fa</code>" in page


SITE = "https://news.example/"
KEYS = ["politics", "economy", "farsi", "urdu", "english", "francais", "all", "breaking"]
OPML_TYPE = "text/x-opml"
#: Latin-script words that are names, the same in every language: the formats' labels.
NAMES = {"OPML"} | {word for fmt in FORMATS for word in re.findall(r"[A-Za-z]+", fmt.label)}


def page(client: TestClient) -> html.HtmlElement:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return html.document_fromstring(response.content)


@contextmanager
def client_for(config: Path) -> Iterator[TestClient]:
    with TestClient(create_app(load_settings(config)), base_url="https://news.example") as client:
        yield client


def ui_texts(root: html.HtmlElement) -> list[str]:
    """What the page itself says: all its text but the site's and the feeds' names.

    Left out: ``<title>`` and ``<h1>`` (the site's title), the first cell of each
    row (a feed's title, from the config), ``<code>`` (language tags), ``<style>``,
    and the autodiscovery titles of the feeds. The OPML link's title is kept.
    """
    skipped = {*root.xpath("//title | //h1 | //code | //style | //tbody/tr/td[1]//*")}
    texts = []
    for text in root.xpath("//text()"):
        owner = text.getparent() if text.is_text else text.getparent().getparent()
        if text.strip() and owner not in skipped:
            texts.append(text.strip())
    texts += root.xpath(f'//link[@type="{OPML_TYPE}"]/@title')
    return texts


def latin_words(texts: list[str]) -> set[str]:
    return {word for text in texts for word in re.findall(r"[A-Za-z]+", text)} - NAMES


def test_every_feed_is_linked_in_every_format_and_every_link_answers(client: TestClient) -> None:
    root = page(client)
    feeds = {
        f"{SITE}feeds/{key}.{fmt.extension}": fmt.media_type for key in KEYS for fmt in FORMATS
    }
    expected = {**feeds, f"{SITE}feeds.opml": OPML_TYPE}
    pages = {f"{SITE}feeds/{key}.html": "text/html" for key in KEYS}  # each title links its page
    discovery = root.xpath('//head/link[@rel="alternate"]')
    anchors = root.xpath("//body//a")
    for links, wanted in ((discovery, expected), (anchors, {**expected, **pages})):
        assert sorted((link.get("href"), link.get("type")) for link in links) == sorted(
            wanted.items()
        )
    for link in discovery + anchors:
        response = client.get(link.get("href").removeprefix(SITE.rstrip("/")))
        assert response.status_code == 200, link.get("href")
        assert response.headers["content-type"] == f"{link.get('type')}; charset=utf-8"


def test_the_arabic_page_says_nothing_in_english(client: TestClient) -> None:
    root = page(client)
    assert root.get("lang") == "ar"
    assert root.get("dir") == "rtl"
    assert [th.text_content() for th in root.xpath("//th")] == ["الخلاصة", "اللغة", "الصيغ"]
    assert root.xpath(f'//a[@type="{OPML_TYPE}"]')[0].text_content() == "كل الخلاصات في ملف OPML"
    texts = ui_texts(root)
    assert any(text.startswith("خلاصات الأخبار في هذا الموقع") for text in texts)
    assert latin_words(texts) == set()
    assert root.xpath("//body//*[@lang][not(self::td)]") == []  # nothing marked as another language


#: Per site language: the page's lang and dir, the column headings, the OPML link's text,
#: the start of the line saying what the page is.
LANGUAGES = {
    "fa": ("fa", "rtl", ["خوراک", "زبان", "قالب\u200cها"], "همهٔ خوراک\u200cها در یک پروندهٔ OPML",
           "خوراک\u200cهای خبری این سایت"),
    "ur": ("ur", "rtl", ["فیڈ", "زبان", "فارمیٹ"], "تمام فیڈز ایک OPML فائل میں",
           "اس سائٹ کی خبروں کی فیڈز"),
    "en": ("en", "ltr", ["Feed", "Language", "Formats"], "All feeds in one OPML file",
           "The news feeds of this site"),
    "fr": ("fr", "ltr", ["Flux", "Langue", "Formats"], "Tous les flux dans un fichier OPML",
           "Les flux d’actualité de ce site"),
    "ar-EG": ("ar-EG", "rtl", ["الخلاصة", "اللغة", "الصيغ"], "كل الخلاصات في ملف OPML",
              "خلاصات الأخبار في هذا الموقع"),
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_speaks_the_site_language(make_config: MakeConfig, language: str) -> None:
    lang, direction, headings, opml_text, about = LANGUAGES[language]
    with client_for(make_config(site={"language": language})) as client:
        root = page(client)
    assert (root.get("lang"), root.get("dir")) == (lang, direction)
    assert [th.text_content() for th in root.xpath("//th")] == headings
    assert root.xpath(f'//a[@type="{OPML_TYPE}"]')[0].text_content() == opml_text
    assert root.xpath(f'//link[@type="{OPML_TYPE}"]/@title') == [opml_text]
    texts = ui_texts(root)
    assert any(text.startswith(about) for text in texts)
    if direction == "rtl":
        assert latin_words(texts) == set()
    assert root.xpath("//body//*[@lang][not(self::td)]") == []


@pytest.mark.parametrize(("language", "direction"), [("de", "ltr"), ("he", "rtl")])
def test_a_language_without_words_gets_english_marked_as_english(
    make_config: MakeConfig, language: str, direction: str
) -> None:
    with client_for(make_config(site={"language": language})) as client:
        root = page(client)
    assert (root.get("lang"), root.get("dir")) == (language, direction)
    headings = root.xpath("//th")
    assert [th.text_content() for th in headings] == ["Feed", "Language", "Formats"]
    opml_link = root.xpath(f'//a[@type="{OPML_TYPE}"]')[0]
    for element in [*headings, opml_link.getparent()]:
        assert (element.get("lang"), element.get("dir")) == ("en", "ltr")


def test_hostile_titles_are_escaped_everywhere(make_config: MakeConfig) -> None:
    hostile = "<script>alert(1)</script> \"q\" 'a' & &amp; <b>"
    config = make_config(
        site={"title": f"نشرة {hostile}", "description": hostile},
        categories=[{"slug": "hostile", "title": hostile, "description": hostile}],
    )
    with client_for(config) as client:
        body = client.get("/").text
    assert "<script>" not in body
    assert "<b>" not in body
    root = html.document_fromstring(body)
    site = f"نشرة {hostile}"
    assert root.xpath("//title")[0].text_content() == site
    assert root.xpath("//h1")[0].text_content() == site
    assert root.xpath("//body/p")[0].text_content() == hostile
    titles = [row.text_content() for row in root.xpath("//tbody/tr/td[1]")]
    assert titles == [f"{site} — {hostile}", site, f"{site} — عاجل"]
    first = root.xpath('//head/link[@rel="alternate"]')[0]
    assert first.get("title") == f"{site} — {hostile} ({FORMATS[0].label})"
