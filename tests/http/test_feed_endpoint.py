"""HTTP behaviour of the feeds: types, validators, 304s, HEAD, errors, compression."""

from __future__ import annotations

import gzip
import time
from email.utils import parsedate_to_datetime

import brotli
import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from feeds.config.settings import Settings
from feeds.formats.registry import FORMATS
from feeds.http import feed_endpoint
from feeds.http.conditional import http_date
from tests.support.builders import record
from tests.support.clock import Clock
from tests.support.commands import ImportRecords
from tests.support.faults import corrupt_store

FEEDS = ["politics", "farsi", "all", "breaking"]
TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
EXTENSIONS = list(TYPES)  # spelled out: a format missing from the registry fails below
ENCODINGS = ["identity", "gzip", "br"]
#: a feed URL's answer depends on the encoding and on whether a browser navigates to it
VARY = "Accept-Encoding, Sec-Fetch-Dest, Sec-Fetch-Mode"


@pytest.fixture
def loaded(client: TestClient, import_records: ImportRecords) -> TestClient:
    assert import_records([record(i, "ar") for i in range(10)] + [record(10, "fa")]).code == 0
    return client


def test_every_format_in_the_registry_is_tested_here() -> None:
    assert [fmt.extension for fmt in FORMATS] == EXTENSIONS


@pytest.mark.parametrize("fmt", EXTENSIONS)
@pytest.mark.parametrize("feed", FEEDS)
def test_headers(loaded: TestClient, feed: str, fmt: str) -> None:
    response = loaded.get(f"/feeds/{feed}.{fmt}", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == TYPES[fmt]
    assert response.headers["content-language"] == ("fa" if feed == "farsi" else "ar")
    assert response.headers["etag"].startswith('"')
    assert response.headers["vary"] == VARY
    assert response.headers["access-control-allow-origin"] == "*"
    max_age = 60 if feed == "breaking" else 300
    assert response.headers["cache-control"] == (
        f"public, max-age={max_age}, stale-while-revalidate=30, stale-if-error=86400"
    )
    assert "content-encoding" not in response.headers
    modified = parsedate_to_datetime(response.headers["last-modified"])
    assert modified <= parsedate_to_datetime(response.headers["date"])


def test_unchanged_content_gives_identical_bytes(loaded: TestClient) -> None:
    first = loaded.get("/feeds/all.atom")
    second = loaded.get("/feeds/all.atom")
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]


@pytest.mark.parametrize("fmt", EXTENSIONS)
def test_if_none_match_gives_304_with_validators(
    loaded: TestClient, clock: Clock, fmt: str
) -> None:
    # Last-Modified moves to the second after the import's commit once that second is
    # over (feeds.http.conditional.last_modified): compare headers after it.
    clock.advance(2)
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


def since(client: TestClient, moment: str | float, fmt: str = "rss") -> httpx.Response:
    """GET the politics feed with If-Modified-Since ``moment`` (an HTTP date, or epoch seconds)."""
    value = moment if isinstance(moment, str) else http_date(int(moment))
    return client.get(f"/feeds/politics.{fmt}", headers={"If-Modified-Since": value})


@pytest.mark.parametrize("fmt", EXTENSIONS)
def test_if_modified_since_its_last_modified_is_304(
    loaded: TestClient, clock: Clock, fmt: str
) -> None:
    now = clock.advance(2)  # the second of the import's commit is over
    first = loaded.get(f"/feeds/politics.{fmt}")
    modified = first.headers["last-modified"]
    second = parsedate_to_datetime(modified).timestamp()
    assert second <= now  # the second after the commit, not later than the Date
    response = since(loaded, modified, fmt)
    assert response.status_code == 304
    assert response.content == b""
    for name in ("etag", "last-modified", "cache-control", "vary"):
        assert response.headers[name] == first.headers[name]
    assert since(loaded, now, fmt).status_code == 304  # later, and not later than the Date


def test_if_modified_since_an_earlier_second_is_200(loaded: TestClient, clock: Clock) -> None:
    clock.advance(2)
    modified = loaded.get("/feeds/politics.rss").headers["last-modified"]
    second = parsedate_to_datetime(modified).timestamp()
    assert since(loaded, modified).status_code == 304
    assert since(loaded, second - 1).status_code == 200
    assert since(loaded, "Mon, 01 Jan 2001 00:00:00 GMT").status_code == 200


@pytest.mark.parametrize(
    "value", ["yesterday", "", "Mon, 32 Jan 2001 00:00:00 GMT", "Fri, 01 Jan 2100 00:00:00 GMT"]
)
def test_if_modified_since_an_invalid_or_future_date_is_ignored(
    loaded: TestClient, clock: Clock, value: str
) -> None:
    clock.advance(2)
    assert since(loaded, value).status_code == 200
    assert since(loaded, clock.now + 60).status_code == 200  # later than the Date: ignored


def test_a_change_within_the_current_second_is_never_hidden(
    client: TestClient, clock: Clock, import_records: ImportRecords
) -> None:
    """Last-Modified names the second after a change, once that second is over.

    A client holding an earlier Last-Modified may have missed a second change in
    the same second, so it gets the feed again, not a 304.
    """
    for index in range(5):  # an import within one second of the real time, to know it
        before = time.time()
        assert import_records([record(index)]).code == 0
        if int(time.time()) == int(before):
            break
    else:
        pytest.fail("no import fell within one second")
    committed = int(before)  # the second the store stamped the change in
    clock.set(committed + 0.999)
    early = client.get("/feeds/politics.rss")
    assert early.headers["last-modified"] == early.headers["date"] == http_date(committed)
    assert since(client, committed).status_code == 200
    clock.set(committed + 1)  # that second is over
    settled = client.get("/feeds/politics.rss")
    assert settled.headers["last-modified"] == http_date(committed + 1)
    assert settled.headers["etag"] == early.headers["etag"]
    assert since(client, committed).status_code == 200
    assert since(client, committed + 1).status_code == 304


def test_if_none_match_wins_over_if_modified_since(loaded: TestClient, clock: Clock) -> None:
    clock.advance(2)
    first = loaded.get("/feeds/politics.rss")
    assert since(loaded, first.headers["last-modified"]).status_code == 304  # alone: 304
    stale_tag = loaded.get(
        "/feeds/politics.rss",
        headers={"If-None-Match": '"stale"', "If-Modified-Since": first.headers["last-modified"]},
    )
    assert stale_tag.status_code == 200
    assert since(loaded, "Mon, 01 Jan 2001 00:00:00 GMT").status_code == 200  # alone: 200
    same_tag = loaded.get(
        "/feeds/politics.rss",
        headers={
            "If-None-Match": first.headers["etag"],
            "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT",
        },
    )
    assert same_tag.status_code == 304


@pytest.mark.parametrize("fmt", EXTENSIONS)
def test_head_has_headers_and_no_body(loaded: TestClient, fmt: str) -> None:
    get = loaded.get(f"/feeds/all.{fmt}", headers={"Accept-Encoding": "identity"})
    head = loaded.head(f"/feeds/all.{fmt}", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-type"] == TYPES[fmt]


@pytest.mark.parametrize("path", ["/feeds/nope.rss", "/feeds/politics.xml", "/feeds/politics"])
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


@pytest.mark.parametrize("fmt", EXTENSIONS)
def test_web_readers_get_cors_for_conditional_requests(loaded: TestClient, fmt: str) -> None:
    response = loaded.get(f"/feeds/all.{fmt}")
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = response.headers["access-control-expose-headers"]
    assert "ETag" in exposed and "Last-Modified" in exposed
    preflight = loaded.options(
        f"/feeds/all.{fmt}",
        headers={
            "Origin": "https://reader.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "If-None-Match" in preflight.headers["access-control-allow-headers"]


@pytest.mark.parametrize("fmt", EXTENSIONS)
@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_compressed_variant_has_its_own_etag(loaded: TestClient, encoding: str, fmt: str) -> None:
    plain = loaded.get(f"/feeds/all.{fmt}", headers={"Accept-Encoding": "identity"})
    packed = loaded.get(f"/feeds/all.{fmt}", headers={"Accept-Encoding": encoding})
    assert packed.headers["content-encoding"] == encoding
    assert packed.headers["vary"] == VARY
    assert packed.headers["etag"] != plain.headers["etag"]
    assert packed.content == plain.content  # the client decoded it
    assert int(packed.headers["content-length"]) < len(plain.content)
    again = loaded.get(
        f"/feeds/all.{fmt}",
        headers={"Accept-Encoding": encoding, "If-None-Match": packed.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.headers["etag"] == packed.headers["etag"]


@pytest.mark.parametrize("fmt", EXTENSIONS)
def test_compressed_bytes_are_the_feed(loaded: TestClient, fmt: str) -> None:
    path = f"/feeds/all.{fmt}"
    plain = loaded.get(path, headers={"Accept-Encoding": "identity"}).content
    with loaded.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
    assert gzip.decompress(raw) == plain
    with loaded.stream("GET", path, headers={"Accept-Encoding": "br;q=1, gzip;q=0.5"}) as r:
        assert r.headers["content-encoding"] == "br"
        raw = b"".join(r.iter_raw())
    assert brotli.decompress(raw) == plain
    with loaded.stream("GET", path, headers={"Accept-Encoding": "gzip;q=0, br;q=0"}) as r:
        assert "content-encoding" not in r.headers


def test_each_format_and_encoding_has_its_own_etag(loaded: TestClient) -> None:
    tags = {
        (fmt, encoding): loaded.get(
            f"/feeds/politics.{fmt}", headers={"Accept-Encoding": encoding}
        ).headers["etag"]
        for fmt in EXTENSIONS
        for encoding in ENCODINGS
    }
    assert len(set(tags.values())) == len(EXTENSIONS) * len(ENCODINGS), tags
    for (fmt, encoding), tag in tags.items():  # a tag matches only its own representation
        for other in EXTENSIONS:
            answer = loaded.get(
                f"/feeds/politics.{other}",
                headers={"Accept-Encoding": encoding, "If-None-Match": tag},
            )
            assert answer.status_code == (304 if other == fmt else 200), (fmt, other, encoding)


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


def test_a_store_failure_is_a_logged_503_with_a_body(
    loaded: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    corrupt_store(settings.store.path)
    response = loaded.get("/feeds/politics.rss")
    assert response.status_code == 503
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "unavailable" in response.text
    assert "date" in response.headers
    assert any(
        r.levelname == "ERROR" and "file is not a database" in r.getMessage()
        for r in caplog.records
    )


def test_unknown_feeds_and_methods_keep_no_request_alive(client: TestClient) -> None:
    """The 404 and 405 answers are shared objects: sent, never raised, they hold no frames."""
    for _ in range(3):
        assert client.get("/feeds/nope.rss").status_code == 404
        assert client.post("/feeds/politics.rss").status_code == 405
    assert feed_endpoint.NO_SUCH_FEED.__traceback__ is None
    assert feed_endpoint.NOT_ALLOWED.__traceback__ is None
