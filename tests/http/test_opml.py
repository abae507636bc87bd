"""``/feeds.opml``: every feed as one OPML 2.0 list, read back by real OPML readers.

listparser (Python) and newsboat (C++ on libxml2, when installed; CI installs
it) read what a feed reader would import; lxml, without recovery, reads the
attributes listparser does not report (type, htmlUrl, language).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import listparser
import pytest
from lxml import etree
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.config.loader import load_settings
from feeds.formats.base import FeedFormat
from feeds.formats.registry import FORMATS
from tests.support.config import MakeConfig
from tests.support.fetch import Fetch

SITE = "https://news.example/"
#: The feeds of the test configuration, in the order the list gives them.
KEYS = ["politics", "economy", "farsi", "urdu", "english", "francais", "all", "breaking"]
TITLES = {
    "politics": "نشرة — سياسة",
    "economy": "نشرة — اقتصاد",
    "farsi": "نشرة — فارسی",
    "urdu": "نشرة — اردو",
    "english": "نشرة — English edition",
    "francais": "نشرة — Édition française",
    "all": "نشرة",
    "breaking": "نشرة — عاجل",
}
DESCRIPTIONS = {
    "politics": "أخبار السياسة",
    "economy": "اقتصاد",
    "farsi": "فارسی",
    "urdu": "اردو",
    "english": "English edition",
    "francais": "Édition française",
    "all": "آخر الأخبار",
    "breaking": "عاجل",
}
LANGUAGES = {"farsi": "fa", "urdu": "ur", "english": "en", "francais": "fr"}
EXTENSIONS = [fmt.extension for fmt in FORMATS]


def feed_url(key: str, extension: str) -> str:
    return f"{SITE}feeds/{key}.{extension}"


def outlines(body: bytes) -> list[dict[str, str]]:
    """The attributes of each top-level outline, read by a strict XML parser."""
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    root = etree.fromstring(body, parser)
    assert root.tag == "opml"
    assert root.get("version") == "2.0"
    return [dict(outline.attrib) for outline in root.iterfind("body/outline")]


def read(body: bytes) -> Any:
    """The list as listparser reads it; it must have found nothing wrong."""
    parsed = listparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "opml2"
    return parsed


@contextmanager
def client_for(config: Path) -> Iterator[TestClient]:
    with TestClient(create_app(load_settings(config)), base_url="https://news.example") as client:
        yield client


def test_every_feed_is_listed_with_its_url_title_and_type(fetch: Fetch) -> None:
    response = fetch("/feeds.opml")
    assert response.headers["content-type"] == "text/x-opml; charset=utf-8"
    parsed = read(response.content)
    assert parsed.meta.title == "نشرة"
    assert parsed.meta.author.name == "نشرة"
    assert [(feed.url, feed.title) for feed in parsed.feeds] == [
        (feed_url(key, "atom"), TITLES[key]) for key in KEYS
    ]
    assert parsed.lists == []
    assert parsed.opportunities == []
    assert outlines(response.content) == [
        {
            "type": "rss",
            "text": TITLES[key],
            "title": TITLES[key],
            "description": DESCRIPTIONS[key],
            "xmlUrl": feed_url(key, "atom"),
            "htmlUrl": f"{SITE}feeds/{key}.html",  # the feed's page for people
            "language": LANGUAGES.get(key, "ar"),
        }
        for key in KEYS
    ]


@pytest.mark.parametrize("fmt", FORMATS, ids=EXTENSIONS)
def test_format_names_the_feeds_format_and_every_url_answers(
    client: TestClient, fmt: FeedFormat
) -> None:
    response = client.get(f"/feeds.opml?format={fmt.extension}")
    assert response.status_code == 200
    urls = [feed.url for feed in read(response.content).feeds]
    assert urls == [feed_url(key, fmt.extension) for key in KEYS]
    for url in urls:
        feed = client.get(url.removeprefix(SITE.rstrip("/")))
        assert feed.status_code == 200, url
        assert feed.headers["content-type"] == f"{fmt.media_type}; charset=utf-8"


def test_atom_is_the_default(client: TestClient) -> None:
    assert client.get("/feeds.opml").content == client.get("/feeds.opml?format=atom").content


@pytest.mark.parametrize("name", ["html", "", "RSS", "atom.rss", "opml"])
def test_an_unknown_format_is_a_plain_400_naming_the_known_ones(
    client: TestClient, name: str
) -> None:
    response = client.get("/feeds.opml", params={"format": name})
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("Unknown format")
    for extension in EXTENSIONS:
        assert extension in response.text


def test_hostile_and_right_to_left_titles_come_back_exactly(
    make_config: MakeConfig, tmp_path: Path
) -> None:
    hostile = "Q \"quoted\" 'apos' <b>bold</b> & &amp; ]]> <!-- -->\ttab\nline"
    persian = "دانش‌نامه و فن‌آوری"  # with ZERO WIDTH NON-JOINERs, which must survive
    urdu = "کھیل اور ثقافت کی خبریں"
    site = 'نشرة <&> "الموقع"'
    config = make_config(
        site={"title": site, "description": hostile},
        categories=[
            {"slug": "hostile", "title": hostile, "description": hostile},
            {"slug": "fa-titles", "title": persian, "language": "fa"},
            {"slug": "ur-titles", "title": urdu, "language": "ur"},
        ],
    )
    with client_for(config) as client:
        body = client.get("/feeds.opml").content
    parsed = read(body)
    assert parsed.meta.title == site
    assert parsed.meta.author.name == site
    assert [feed.title for feed in parsed.feeds] == [
        f"{site} — {hostile}",
        f"{site} — {persian}",
        f"{site} — {urdu}",
        site,
        f"{site} — عاجل",
    ]
    first = outlines(body)[0]
    assert first["title"] == f"{site} — {hostile}"
    assert first["description"] == hostile
    assert b"<b>" not in body
    assert b"<!-- -->" not in body


def test_if_none_match_gives_304_with_the_same_validators(client: TestClient) -> None:
    first = client.get("/feeds.opml")
    tag = first.headers["etag"]
    assert tag.startswith('"')
    assert first.headers["cache-control"] == "public, max-age=300"
    assert first.headers["access-control-allow-origin"] == "*"
    assert "ETag" in first.headers["access-control-expose-headers"]
    for sent in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        again = client.get("/feeds.opml", headers={"If-None-Match": sent})
        assert again.status_code == 304, sent
        assert again.content == b""
        for name in ("etag", "cache-control", "access-control-allow-origin"):
            assert again.headers[name] == first.headers[name]
    assert client.get("/feeds.opml", headers={"If-None-Match": '"other"'}).status_code == 200


def test_each_format_has_its_own_etag(client: TestClient) -> None:
    tags = {ext: client.get(f"/feeds.opml?format={ext}").headers["etag"] for ext in EXTENSIONS}
    assert len(set(tags.values())) == len(EXTENSIONS)
    for ext, tag in tags.items():
        for other in EXTENSIONS:
            status = client.get(
                f"/feeds.opml?format={other}", headers={"If-None-Match": tag}
            ).status_code
            assert status == (304 if other == ext else 200)


def test_the_etag_follows_the_settings_not_the_process(
    make_config: MakeConfig, config_file: Path
) -> None:
    """Two apps (two workers) on one config agree; another site title changes the ETag."""
    with client_for(config_file) as one, client_for(config_file) as two:
        assert one.get("/feeds.opml").headers["etag"] == two.get("/feeds.opml").headers["etag"]
        before = one.get("/feeds.opml").headers["etag"]
    renamed = make_config(site={"title": "نشرة الصباح"}, feeds={"max_age": 120})
    with client_for(renamed) as client:
        response = client.get("/feeds.opml")
    assert response.headers["etag"] != before
    assert response.headers["cache-control"] == "public, max-age=120"


def test_head_and_cors_preflight(client: TestClient) -> None:
    get = client.get("/feeds.opml")
    head = client.head("/feeds.opml")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == str(len(get.content))
    preflight = client.options(
        "/feeds.opml",
        headers={
            "Origin": "https://reader.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "If-None-Match" in preflight.headers["access-control-allow-headers"]
    post = client.post("/feeds.opml")
    assert post.status_code == 405
    assert set(post.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.fixture
def newsboat() -> str:
    """newsboat's path; in CI (where .ci/run installs it) its absence is a failure."""
    path = shutil.which("newsboat")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("newsboat is not installed: .ci/run installs it")
        pytest.skip("newsboat is not installed (apt-get install newsboat); CI runs this")
    return path


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_newsboat_imports_every_feed(
    fetch: Fetch, newsboat: str, tmp_path: Path, extension: str
) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_bytes(fetch(f"/feeds.opml?format={extension}").content)
    urls, config = tmp_path / "urls", tmp_path / "config"
    config.write_text("")
    done = subprocess.run(
        [newsboat, "-i", str(opml), "-u", str(urls), "-c", str(tmp_path / "cache.db"),
         "-C", str(config)],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )  # fmt: skip
    # newsboat exits 0 even when the file does not parse: its message tells.
    assert done.stdout.strip() == f"Import of {opml} finished.", done.stdout + done.stderr
    assert urls.read_text(encoding="utf-8").splitlines() == [
        feed_url(key, extension) for key in KEYS
    ]
