"""HTTP behaviour of the feeds: types, validators, 304s, HEAD, errors, compression."""

from __future__ import annotations

import gzip
import time
from email.utils import parsedate_to_datetime

import brotli
import pytest
from starlette.testclient import TestClient

from tests.support.builders import record
from tests.support.commands import ImportRecords

FEEDS = ["politics", "farsi", "all", "breaking"]
TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}


@pytest.fixture
def loaded(client: TestClient, import_records: ImportRecords) -> TestClient:
    assert import_records([record(i, "ar") for i in range(10)] + [record(10, "fa")]).code == 0
    return client


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("feed", FEEDS)
def test_headers(loaded: TestClient, feed: str, fmt: str) -> None:
    response = loaded.get(f"/feeds/{feed}.{fmt}", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == TYPES[fmt]
    assert response.headers["content-language"] == ("fa" if feed == "farsi" else "ar")
    assert response.headers["etag"].startswith('"')
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["access-control-allow-origin"] == "*"
    max_age = 60 if feed == "breaking" else 300
    assert response.headers["cache-control"] == f"public, max-age={max_age}"
    assert "content-encoding" not in response.headers
    modified = parsedate_to_datetime(response.headers["last-modified"])
    assert modified <= parsedate_to_datetime(response.headers["date"])


def test_unchanged_content_gives_identical_bytes(loaded: TestClient) -> None:
    first = loaded.get("/feeds/all.atom")
    second = loaded.get("/feeds/all.atom")
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_if_none_match_gives_304_with_validators(loaded: TestClient, fmt: str) -> None:
    # Last-Modified moves to the second after the import's commit once that second is
    # over (feeds.http.conditional.last_modified): compare headers after it.
    time.sleep(1.05)
    first = loaded.get(f"/feeds/politics.{fmt}")
    tag = first.headers["etag"]
    for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        response = loaded.get(f"/feeds/politics.{fmt}", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        for name in ("etag", "last-modified", "cache-control", "vary"):
            assert response.headers[name] == first.headers[name]
    other = loaded.get(f"/feeds/politics.{fmt}", headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200


def test_if_modified_since(loaded: TestClient) -> None:
    first = loaded.get("/feeds/politics.rss")
    modified = first.headers["last-modified"]
    later = loaded.get("/feeds/politics.rss", headers={"If-Modified-Since": modified})
    # the change happened within the second of Last-Modified or before it: 304 once
    # that second is over, never a 304 that could hide a change in the same second
    assert later.status_code in (200, 304)
    old = loaded.get(
        "/feeds/politics.rss", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
    )
    assert old.status_code == 200
    bad = loaded.get("/feeds/politics.rss", headers={"If-Modified-Since": "yesterday"})
    assert bad.status_code == 200


def test_if_none_match_wins_over_if_modified_since(loaded: TestClient) -> None:
    first = loaded.get("/feeds/politics.rss")
    response = loaded.get(
        "/feeds/politics.rss",
        headers={
            "If-None-Match": '"stale"',
            "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT",
        },
    )
    assert response.status_code == 200
    response = loaded.get(
        "/feeds/politics.rss",
        headers={
            "If-None-Match": first.headers["etag"],
            "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT",
        },
    )
    assert response.status_code == 304


def test_head_has_headers_and_no_body(loaded: TestClient) -> None:
    get = loaded.get("/feeds/all.rss", headers={"Accept-Encoding": "identity"})
    head = loaded.head("/feeds/all.rss", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["etag"] == get.headers["etag"]


@pytest.mark.parametrize("path", ["/feeds/nope.rss", "/feeds/politics.json", "/feeds/politics"])
def test_unknown_feed_or_format_is_404(loaded: TestClient, path: str) -> None:
    response = loaded.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
    assert len(response.content) < 100


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(loaded: TestClient, method: str) -> None:
    response = loaded.request(method, "/feeds/all.atom")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_web_readers_get_cors_for_conditional_requests(loaded: TestClient) -> None:
    response = loaded.get("/feeds/all.atom")
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = response.headers["access-control-expose-headers"]
    assert "ETag" in exposed and "Last-Modified" in exposed
    preflight = loaded.options(
        "/feeds/all.atom",
        headers={
            "Origin": "https://reader.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "If-None-Match" in preflight.headers["access-control-allow-headers"]


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_compressed_variant_has_its_own_etag(loaded: TestClient, encoding: str) -> None:
    plain = loaded.get("/feeds/all.rss", headers={"Accept-Encoding": "identity"})
    packed = loaded.get("/feeds/all.rss", headers={"Accept-Encoding": encoding})
    assert packed.headers["content-encoding"] == encoding
    assert packed.headers["vary"] == "Accept-Encoding"
    assert packed.headers["etag"] != plain.headers["etag"]
    assert packed.content == plain.content  # the client decoded it
    assert int(packed.headers["content-length"]) < len(plain.content)
    again = loaded.get(
        "/feeds/all.rss",
        headers={"Accept-Encoding": encoding, "If-None-Match": packed.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.headers["etag"] == packed.headers["etag"]


def test_compressed_bytes_are_the_feed(loaded: TestClient) -> None:
    plain = loaded.get("/feeds/all.rss", headers={"Accept-Encoding": "identity"}).content
    with loaded.stream("GET", "/feeds/all.rss", headers={"Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
    assert gzip.decompress(raw) == plain
    with loaded.stream(
        "GET", "/feeds/all.rss", headers={"Accept-Encoding": "br;q=1, gzip;q=0.5"}
    ) as r:
        assert r.headers["content-encoding"] == "br"
        raw = b"".join(r.iter_raw())
    assert brotli.decompress(raw) == plain
    with loaded.stream(
        "GET", "/feeds/all.rss", headers={"Accept-Encoding": "gzip;q=0, br;q=0"}
    ) as r:
        assert "content-encoding" not in r.headers


def test_etag_changes_after_an_update(loaded: TestClient, import_records: ImportRecords) -> None:
    before = loaded.get("/feeds/politics.atom")
    changed = record(3, "ar", title="عنوان جديد", updated="2026-12-01T10:00:00+03:00")
    assert import_records([changed]).code == 0
    after = loaded.get("/feeds/politics.atom", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert "عنوان جديد".encode() in after.content
    untouched = loaded.get("/feeds/farsi.atom")
    assert untouched.status_code == 200


def test_article_leaving_a_feed_changes_its_validators(
    loaded: TestClient, import_records: ImportRecords
) -> None:
    before = loaded.get("/feeds/politics.rss")
    moved = record(3, "ar", categories=["economy"], updated="2026-12-01T10:00:00+03:00")
    assert import_records([moved]).code == 0
    after = loaded.get("/feeds/politics.rss", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert moved["link"].encode() not in after.content
    assert moved["link"].encode() in loaded.get("/feeds/economy.rss").content


def test_a_im_feed_gets_an_ordinary_answer(loaded: TestClient) -> None:
    plain = loaded.get("/feeds/all.rss")
    response = loaded.get("/feeds/all.rss", headers={"A-IM": "feed"})
    assert response.status_code == 200
    assert "im" not in response.headers
    assert response.content == plain.content


def test_a_render_reports_its_duration_once(loaded: TestClient) -> None:
    first = loaded.get("/feeds/farsi.atom")
    name, _, duration = first.headers["server-timing"].partition(";dur=")
    assert name == "render" and float(duration) > 0
    assert "server-timing" not in loaded.get("/feeds/farsi.atom").headers
