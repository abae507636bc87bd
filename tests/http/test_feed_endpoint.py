"""HTTP behaviour of the feeds: types, validators, 304s, HEAD, errors, compression."""

from __future__ import annotations

import asyncio
import gzip
import time
from email.utils import parsedate_to_datetime
from typing import Any

import brotli
import httpx2 as httpx
import pytest
from lxml import etree
from starlette.testclient import TestClient

import feeds.http.cache
from feeds.app import create_app
from feeds.config.settings import Settings, load_settings
from tests.support.builders import record
from tests.support.commands import ImportRecords
from tests.support.config import MakeConfig

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


def test_index_page_lists_every_feed_with_autodiscovery(loaded: TestClient) -> None:
    response = loaded.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<html lang="ar" dir="rtl">' in page
    for feed in ["politics", "economy", "farsi", "urdu", "english", "francais", "all", "breaking"]:
        for fmt, media in (("rss", "application/rss+xml"), ("atom", "application/atom+xml")):
            url = f"https://news.example/feeds/{feed}.{fmt}"
            assert f'type="{media}"' in page
            assert f'href="{url}"' in page
    assert "<code>fa</code>" in page


def test_healthz(loaded: TestClient) -> None:
    response = loaded.get("/healthz")
    assert response.status_code == 200
    assert "date" in response.headers


def test_repeats_and_304s_render_and_compress_nothing(
    loaded: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_render, real_gzip = feeds.http.cache.generator.render, feeds.http.cache.gzip.compress

    def render(*args: Any, **kwargs: Any) -> bytes:
        calls.append("render")
        return real_render(*args, **kwargs)

    def compress(*args: Any, **kwargs: Any) -> bytes:
        calls.append("gzip")
        return real_gzip(*args, **kwargs)

    monkeypatch.setattr(feeds.http.cache.generator, "render", render)
    monkeypatch.setattr(feeds.http.cache.gzip, "compress", compress)
    first = loaded.get("/feeds/urdu.rss", headers={"Accept-Encoding": "gzip"})
    assert calls == ["render", "gzip"]
    for _ in range(3):
        assert loaded.get("/feeds/urdu.rss", headers={"Accept-Encoding": "gzip"}).status_code == 200
        again = loaded.get(
            "/feeds/urdu.rss",
            headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]},
        )
        assert again.status_code == 304
    assert calls == ["render", "gzip"]


def test_a_render_reports_its_duration_once(loaded: TestClient) -> None:
    first = loaded.get("/feeds/farsi.atom")
    name, _, duration = first.headers["server-timing"].partition(";dur=")
    assert name == "render" and float(duration) > 0
    assert "server-timing" not in loaded.get("/feeds/farsi.atom").headers


def test_the_rtl_mark_can_be_switched_off(
    make_config: MakeConfig, import_records: ImportRecords
) -> None:
    latin_first = record(1, "ar", title="iPhone 17 يصل", content="<p>NASA تطلق</p>")
    assert import_records([latin_first]).code == 0
    without_mark = load_settings(make_config(feeds={"rtl_mark": False}))
    with TestClient(create_app(without_mark)) as client:
        document = client.get("/feeds/politics.rss").content
    item = etree.fromstring(document).find("channel/item")
    assert item.findtext("title") == "iPhone 17 يصل"
    assert "\u200f" not in document.decode()


def test_concurrent_requests_for_a_cold_feed_share_one_render(
    settings: Settings, import_records: ImportRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Single flight: requests arriving while a feed renders wait for that render."""
    assert import_records([record(i) for i in range(5)]).code == 0
    renders: list[str] = []
    queries: list[str] = []
    real_render = feeds.http.cache.generator.render

    def render(*args: Any, **kwargs: Any) -> bytes:
        renders.append(args[1])
        return real_render(*args, **kwargs)

    monkeypatch.setattr(feeds.http.cache.generator, "render", render)
    app = create_app(settings)

    async def scenario() -> list[int]:
        async with app.web.router.lifespan_context(app.web):
            assert app.store is not None
            real_query = app.store.feed_articles

            async def slow_query(*args: Any) -> Any:
                queries.append(args[0])
                await asyncio.sleep(0.05)  # a slow store: the other requests arrive meanwhile
                return await real_query(*args)

            app.store.feed_articles = slow_query  # type: ignore[method-assign]
            renders.clear()  # the warm-up's empty renders
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://x") as client:
                answers = await asyncio.gather(
                    *(client.get("/feeds/politics.atom") for _ in range(10))
                )
            return [a.status_code for a in answers]

    assert asyncio.run(scenario()) == [200] * 10
    assert renders == ["atom"]
    assert queries == ["politics"]


def test_both_formats_of_a_feed_state_share_one_query(
    settings: Settings, import_records: ImportRecords
) -> None:
    assert import_records([record(i) for i in range(3)]).code == 0
    queries: list[str] = []
    app = create_app(settings)
    with TestClient(app) as client:
        assert app.store is not None
        real_query = app.store.feed_articles

        async def counted(*args: Any) -> Any:
            queries.append(args[0])
            return await real_query(*args)

        app.store.feed_articles = counted  # type: ignore[method-assign]
        assert client.get("/feeds/politics.rss").status_code == 200
        assert client.get("/feeds/politics.atom").status_code == 200
        assert queries == ["politics"]
        assert import_records([record(3)]).code == 0  # a new state: a new query
        assert record(3)["link"] in client.get("/feeds/politics.atom").text
        assert queries == ["politics", "politics"]
