"""The feed page over HTTP: at ``.html``, and at a feed URL for a browser's navigation only."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.config.loader import load_settings
from tests.support.builders import record
from tests.support.clock import Clock
from tests.support.commands import ImportRecords
from tests.support.config import MakeConfig

#: what a browser sends when it navigates (fetch metadata; Chromium 76+, Firefox 90+, Safari 16.4+)
NAVIGATION = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}
#: a browser's Accept and User-Agent, which some feed readers send too
BROWSER_LIKE = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36",
}
#: what a page's fetch() of the feed sends
FETCH = {"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors"}
HTML = "text/html; charset=utf-8"
FEED_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
NEGOTIATED = "Accept-Encoding, Sec-Fetch-Dest, Sec-Fetch-Mode"
#: a feed's Cache-Control by default (no cache to purge): one lifetime, stale when allowed
FEED_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=30, stale-if-error=86400"


@pytest.fixture
def loaded(client: TestClient, import_records: ImportRecords, clock: Clock) -> TestClient:
    records = [record(i, "ar") for i in range(3)] + [record(3, "en", categories=["politics"])]
    assert import_records(records).code == 0
    clock.advance(2)  # past the commit's second: Last-Modified is fixed from here on
    return client


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_a_navigation_to_a_feed_url_gets_the_page(loaded: TestClient, fmt: str) -> None:
    response = loaded.get(f"/feeds/politics.{fmt}", headers=NAVIGATION)
    assert response.status_code == 200
    assert response.headers["content-type"] == HTML
    assert response.headers["content-language"] == "ar"
    assert response.headers["vary"] == NEGOTIATED
    assert response.headers["cache-control"] == "private, max-age=300"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert '<html lang="ar" dir="rtl">' in response.text
    assert record(3, "en")["title"] in response.text
    breaking = loaded.get("/feeds/breaking.rss", headers=NAVIGATION)
    assert breaking.headers["cache-control"] == "private, max-age=60"


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        BROWSER_LIKE,  # a reader that says it wants HTML, or claims to be Chrome
        {"Accept": "text/html"},
        FETCH,  # a web-based reader's fetch()
        {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "cors"},  # only one of the two
        {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Dest": "document"},
    ],
    ids=["none", "browser-like", "accept-html", "fetch", "dest-only", "iframe", "mode", "dest"],
)
def test_everything_but_a_navigation_gets_the_feed(
    loaded: TestClient, fmt: str, headers: dict[str, str]
) -> None:
    response = loaded.get(f"/feeds/politics.{fmt}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == FEED_TYPES[fmt]
    assert response.headers["vary"] == NEGOTIATED
    assert response.headers["cache-control"] == FEED_CACHE_CONTROL
    assert "content-security-policy" not in response.headers


def test_the_html_url_is_the_page_for_everyone(loaded: TestClient) -> None:
    at_feed_url = loaded.get("/feeds/politics.rss", headers=NAVIGATION)  # its headers differ:
    assert at_feed_url.headers["cache-control"].startswith("private")  # they must not stick
    plain = loaded.get("/feeds/politics.html")
    navigated = loaded.get("/feeds/politics.html", headers=NAVIGATION)
    for response in (plain, navigated):
        assert response.status_code == 200
        assert response.headers["content-type"] == HTML
        assert response.headers["vary"] == "Accept-Encoding"  # nothing else changes it
        assert response.headers["cache-control"] == FEED_CACHE_CONTROL
    assert plain.content == navigated.content
    english = loaded.get("/feeds/english.html")
    assert '<html lang="en" dir="ltr">' in english.text


def test_the_page_has_its_own_etags_and_one_render(loaded: TestClient) -> None:
    identity = {"Accept-Encoding": "identity"}
    feed = loaded.get("/feeds/politics.rss", headers=identity)
    page = loaded.get("/feeds/politics.rss", headers={**NAVIGATION, **identity})
    assert "server-timing" in page.headers  # the first request for the page renders it
    again = loaded.get("/feeds/politics.atom", headers={**NAVIGATION, **identity})
    direct = loaded.get("/feeds/politics.html", headers=identity)
    assert page.headers["etag"] != feed.headers["etag"]
    assert page.headers["etag"] == again.headers["etag"] == direct.headers["etag"]
    assert page.content == again.content == direct.content
    assert "server-timing" not in again.headers and "server-timing" not in direct.headers
    packed = loaded.get("/feeds/politics.rss", headers={**NAVIGATION, "Accept-Encoding": "br"})
    assert packed.headers["content-encoding"] == "br"
    assert packed.headers["etag"] not in (page.headers["etag"], feed.headers["etag"])
    assert packed.content == page.content  # the client decoded it


def test_304_for_the_page_etag_on_navigation_only(loaded: TestClient) -> None:
    page = loaded.get("/feeds/politics.rss", headers=NAVIGATION)
    tag = page.headers["etag"]
    again = loaded.get("/feeds/politics.rss", headers={**NAVIGATION, "If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    for name in ("etag", "vary", "cache-control", "last-modified"):
        assert again.headers[name] == page.headers[name], name
    reader = loaded.get("/feeds/politics.rss", headers={"If-None-Match": tag})
    assert reader.status_code == 200  # the page's validator is not the feed's
    assert reader.headers["content-type"] == FEED_TYPES["rss"]
    feed_tag = reader.headers["etag"]
    browser = loaded.get("/feeds/politics.rss", headers={**NAVIGATION, "If-None-Match": feed_tag})
    assert browser.status_code == 200
    assert browser.headers["content-type"] == HTML


def test_head_of_a_navigation_has_the_page_headers_and_no_body(loaded: TestClient) -> None:
    identity = {**NAVIGATION, "Accept-Encoding": "identity"}
    get = loaded.get("/feeds/politics.atom", headers=identity)
    head = loaded.head("/feeds/politics.atom", headers=identity)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == HTML
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["cache-control"] == "private, max-age=300"


def test_the_page_follows_the_feed_state(loaded: TestClient, import_records: ImportRecords) -> None:
    before = loaded.get("/feeds/politics.html")
    assert import_records([record(40, "ar")]).code == 0
    after = loaded.get("/feeds/politics.html")
    assert after.headers["etag"] != before.headers["etag"]
    assert record(40, "ar")["title"] in after.text
    assert record(40, "ar")["title"] not in before.text


def test_the_page_is_not_a_websub_topic(make_config: MakeConfig) -> None:
    # no write happens here, so nothing is sent to the (absent, loopback) hub
    settings = load_settings(make_config(websub={"hub": "http://127.0.0.1:9/hub"}))
    with TestClient(create_app(settings), base_url="https://news.example") as client:
        feed = client.get("/feeds/politics.rss")
        assert 'rel="hub"' in feed.headers["link"]
        for path, headers in (("/feeds/politics.rss", NAVIGATION), ("/feeds/politics.html", {})):
            page = client.get(path, headers=headers)
            assert page.headers["content-type"] == HTML
            assert "link" not in page.headers, path


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_the_page_url_answers_like_a_feed_url_otherwise(client: TestClient, method: str) -> None:
    assert client.request(method, "/feeds/politics.html").status_code == 405
    assert client.get("/feeds/nope.html").status_code == 404
    assert client.options("/feeds/politics.html").status_code == 204
