"""The feed page in a real browser: headless Chromium against a live ``nashra serve``.

Chromium navigates to the URLs itself, so the server sees a browser's own
request headers; the tests read the DOM the browser built, and one
screenshot at a phone's size. The site is the shipped configuration with
the demo articles, each given a picture from a loopback server, and one
article whose title reads as markup.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from tests.support.browser import PHONE, dump_dom, require_chromium, screenshot
from tests.support.builders import record
from tests.support.commands import ImportRecords
from tests.support.live import LiveServer, Serve
from tests.support.pictures import PictureServer, picture_server

SHIPPED = Path(__file__).parent.parent / "config"
#: as imported: entities, so that cleaning keeps them as text ("&lt;b&gt;" becomes "<b>")
HOSTILE = "عاجل &lt;img src=x onerror=alert(1)&gt; &lt;b&gt;خبر&lt;/b&gt; &lt;/article&gt;"
HOSTILE_TEXT = "عاجل <img src=x onerror=alert(1)> <b>خبر</b> </article>"
#: where to copy the phone screenshot, for the README (docs/feed-page.png)
SCREENSHOT_COPY = "NASHRA_SCREENSHOT"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """The shipped configuration, whose categories the demo articles use, storing in tmp_path."""
    shipped = (SHIPPED / "nashra.toml").read_text(encoding="utf-8")
    store = f"path = {json.dumps(str(tmp_path / 'nashra.db'))}"
    text = shipped.replace('path = "var/nashra.db"', store)
    assert store in text
    config = tmp_path / "nashra.toml"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture
def pictures() -> Iterator[PictureServer]:
    with picture_server() as server:
        yield server


@pytest.fixture
def records(pictures: PictureServer) -> list[dict[str, Any]]:
    demo = [
        json.loads(line)
        for line in (SHIPPED / "demo-articles.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    for item in demo:
        item["image"] = pictures.image(item["id"])
    hostile = record(
        900, title=HOSTILE, categories=["politics"], image=None,
        published="2026-11-01T08:00:00+03:00", updated=None,
    )  # fmt: skip
    return [*demo, hostile]


@pytest.fixture
def site(
    records: list[dict[str, Any]], import_records: ImportRecords, serve: Serve
) -> Iterator[LiveServer]:
    require_chromium()  # before the server starts: a skip should cost nothing
    assert import_records(records).code == 0
    with serve() as server:
        yield server


def titles(records: list[dict[str, Any]], category: str) -> list[str]:
    """The titles of a category's records, newest first, as the feeds order them."""
    chosen = [r for r in records if category in r["categories"]]
    chosen.sort(key=lambda r: datetime.fromisoformat(r["published"]), reverse=True)
    return [HOSTILE_TEXT if r["title"] == HOSTILE else r["title"] for r in chosen]


def page(url: str) -> lxml.html.HtmlElement:
    """The DOM Chromium built at ``url``."""
    return lxml.html.fromstring(dump_dom(url))


def shown_titles(root: lxml.html.HtmlElement) -> list[str]:
    return [a.text_content() for a in root.findall(".//article/h2/a")]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_a_browser_at_a_feed_url_gets_the_page(
    site: LiveServer, records: list[dict[str, Any]], pictures: PictureServer, fmt: str
) -> None:
    root = page(f"{site.url}/feeds/politics.{fmt}")
    assert (root.get("lang"), root.get("dir")) == ("ar", "rtl")
    assert shown_titles(root) == titles(records, "politics")
    assert HOSTILE_TEXT in shown_titles(root)  # as text: the browser made no element of it
    assert root.find(".//b") is None
    assert all(img.get("src").startswith(pictures.base) for img in root.iter("img"))
    assert len(root.findall(".//article")) == len(titles(records, "politics"))


def test_the_html_pages_in_a_browser(site: LiveServer, records: list[dict[str, Any]]) -> None:
    english = page(f"{site.url}/feeds/english.html")
    assert (english.get("lang"), english.get("dir")) == ("en", "ltr")
    assert shown_titles(english) == titles(records, "english")
    politics = page(f"{site.url}/feeds/politics.html")
    assert (politics.get("lang"), politics.get("dir")) == ("ar", "rtl")
    assert shown_titles(politics) == titles(records, "politics")
    everything = page(f"{site.url}/feeds/all.html")  # an Arabic page with entries in 5 languages
    directions = {(e.get("lang"), e.get("dir")) for e in everything.iter("article")}
    assert directions == {("ar", "rtl"), ("fa", "rtl"), ("ur", "rtl"), ("en", "ltr"),
                          ("fr", "ltr")}  # fmt: skip


def test_a_phone_sized_screenshot(
    site: LiveServer, pictures: PictureServer, tmp_path: Path
) -> None:
    shot = screenshot(f"{site.url}/feeds/all.rss", tmp_path / "feed-page.png")
    width, height, colours = png_summary(shot.read_bytes())
    assert (width, height) == PHONE
    assert colours > 50  # text, pictures and frames, not a blank or an error page
    assert any(path.startswith("/media/") for path in pictures.requested)  # the images loaded
    if copy := os.environ.get(SCREENSHOT_COPY):
        shutil.copyfile(shot, copy)


def png_summary(data: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the decompressed image data."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    return width, height, len(set(zlib.decompress(b"".join(chunks))))
