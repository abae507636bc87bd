"""nashra behind a real Varnish with the shipped VCL (config/varnish/nashra.vcl).

varnishd (:mod:`tests.support.varnish`) runs in front of a real ``nashra
serve`` that lists it in ``[cdn] purge``. What a reader sees through it:
cached copies with the origin's headers, 304s, gzip, every change within a
second (purged, not expired: the cache keeps feeds for hours), the changes
that come by time at their moment, and copies still served while nashra is
down. The server runs in a subprocess on the real clock, so the timed
changes here are a few seconds away and the test waits for them.
"""

from __future__ import annotations

import contextlib
import gzip
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from feeds.formats.registry import FORMATS
from tests.support.builders import record
from tests.support.config import MakeConfig, token
from tests.support.live import LiveServer, Serve, free_port, live_server
from tests.support.varnish import Varnish, require_varnishd, running_varnish

TOKEN = "varnish-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
READER = {"Accept-Encoding": "identity", "User-Agent": "test-reader"}
#: every format of the feeds an article in politics is in
POLITICS = [f"/feeds/{feed}.{fmt.extension}" for feed in ("politics", "all") for fmt in FORMATS]
VISIBLE_WITHIN = 1.0  # seconds: the promise
#: copies whose Last-Modified is their Date (made in a change's second or the next)
#: are kept one second (see the VCL): wait past them, so that the copies the
#: timed tests look at are the long-lived ones
PAST_THE_SECOND = 2.1
DOWN_NOTICED_S = 10.0  # the VCL's probe: 2 of the last 3 looks, a second apart, failed


@pytest.fixture(scope="module", autouse=True)
def varnishd() -> None:
    require_varnishd()  # before anything starts: a skip should cost nothing


@pytest.fixture
def cache_port() -> int:
    return free_port()


@pytest.fixture
def config_file(make_config: MakeConfig, cache_port: int) -> Path:
    return make_config(
        cdn={"purge": [f"http://127.0.0.1:{cache_port}/"]}, tokens=[token("cms", TOKEN)]
    )


@pytest.fixture
def origin(serve: Serve) -> Iterator[LiveServer]:
    with serve() as server:
        yield server


@pytest.fixture
def cache(origin: LiveServer, cache_port: int) -> Iterator[Varnish]:
    with running_varnish(int(origin.url.rsplit(":", 1)[1]), port=cache_port) as varnish:
        yield varnish


def get(cache: Varnish, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{cache.url}{path}", headers={**READER, **headers}, timeout=10)


def post(origin: LiveServer, *records: dict[str, Any]) -> None:
    response = httpx.post(f"{origin.url}/api/articles", json=list(records), headers=AUTH)
    assert response.status_code in (200, 201), response.text


def settle(db: Path, moment: int | None = None) -> None:
    """Wait until every purge queued is delivered: a late one would drop what a test caches.

    ``moment``: a timed change (an embargo's end) queued for then, which stays.
    """
    timed = -1 if moment is None else moment * 1_000_000

    def delivered() -> bool:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            (left,) = conn.execute(
                "SELECT count(*) FROM outbox WHERE sink = 'cdn' AND due_us != ?", (timed,)
            ).fetchone()
        return bool(left == 0)

    within(10, delivered)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The store of the test configuration (see tests/support/config.py)."""
    return tmp_path / "nashra.db"


def iso(seconds_from_now: float) -> str:
    """A moment as the import format writes it, in whole seconds."""
    return datetime.fromtimestamp(int(time.time() + seconds_from_now), UTC).isoformat()


def within(seconds: float, check: Callable[[], bool]) -> float:
    """How long ``check`` took to hold, polled; fails if it did not within ``seconds``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not visible within {seconds} s")
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_repeated_get_is_a_hit_with_the_origins_body_and_headers(
    origin: LiveServer, cache: Varnish, db: Path
) -> None:
    post(origin, record(1))
    settle(db)
    for path in POLITICS:
        first = get(cache, path)
        second = get(cache, path)
        direct = httpx.get(f"{origin.url}{path}", headers=READER)
        assert (first.status_code, second.status_code) == (200, 200)
        assert second.headers["x-cache"] == "HIT", path
        assert second.content == first.content == direct.content
        for name in ("content-language", "content-type", "cache-control"):
            assert second.headers[name] == direct.headers[name], name
        # what nashra said when the cache fetched it (in the change's own second
        # it says that second, one second earlier than afterwards)
        assert second.headers["last-modified"] == first.headers["last-modified"]
        # a plain copy and a gzip copy, each with nashra's own ETag
        assert second.headers["etag"] == direct.headers["etag"]
        zipped = httpx.get(f"{origin.url}{path}", headers={"Accept-Encoding": "gzip"})
        assert (
            get(cache, path, **{"Accept-Encoding": "gzip"}).headers["etag"]
            == (zipped.headers["etag"])
        )
        assert "xkey" not in second.headers  # the keys are the cache's business


@pytest.mark.parametrize("coding", ["identity", "gzip"])
def test_conditional_gets_are_answered_304_by_the_cache(
    origin: LiveServer, cache: Varnish, coding: str, db: Path
) -> None:
    post(origin, record(1))
    settle(db)
    path = "/feeds/politics.atom"
    first = get(cache, path, **{"Accept-Encoding": coding})
    tag = first.headers["etag"]
    again = get(cache, path, **{"Accept-Encoding": coding, "If-None-Match": tag})
    assert again.status_code == 304
    assert again.headers["x-cache"] == "HIT"
    assert again.headers["etag"] == tag
    assert again.content == b""
    since = {"Accept-Encoding": coding, "If-Modified-Since": first.headers["last-modified"]}
    assert get(cache, path, **since).status_code == 304


def test_gzip_for_those_who_ask_plain_for_the_others(
    origin: LiveServer, cache: Varnish, db: Path
) -> None:
    post(origin, record(1))
    settle(db)
    plain = get(cache, "/feeds/politics.rss")
    assert "content-encoding" not in plain.headers
    for accept in ("gzip", "gzip, deflate, br", "br, gzip"):
        with httpx.stream(
            "GET", f"{cache.url}/feeds/politics.rss", headers={"Accept-Encoding": accept}
        ) as response:
            body = b"".join(response.iter_raw())  # as sent, not decoded
            assert response.headers["content-encoding"] == "gzip", accept
        assert gzip.decompress(body) == plain.content
    br_only = get(cache, "/feeds/politics.rss", **{"Accept-Encoding": "br"})
    assert "content-encoding" not in br_only.headers  # never a coding it did not ask for
    assert br_only.content == plain.content


def test_a_navigating_browser_gets_the_page_and_a_reader_never_does(
    origin: LiveServer, cache: Varnish, db: Path
) -> None:
    post(origin, record(1))
    settle(db)
    navigation = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}
    for _ in range(2):
        page = get(cache, "/feeds/politics.rss", **navigation)
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"].startswith("private")
        feed = get(cache, "/feeds/politics.rss")
        assert feed.headers["content-type"].startswith("application/rss+xml")
        fetched = get(cache, "/feeds/politics.rss", **{"Sec-Fetch-Dest": "empty",
                                                        "Sec-Fetch-Mode": "cors"})  # fmt: skip
        assert fetched.headers["content-type"].startswith("application/rss+xml")


def test_the_api_is_never_cached(origin: LiveServer, cache: Varnish, db: Path) -> None:
    post(origin, record(1))
    settle(db)
    url = f"{cache.url}/api/articles/t-00001"
    assert httpx.get(url, headers=AUTH).status_code == 200
    httpx.delete(f"{origin.url}/api/articles/t-00001", headers=AUTH).raise_for_status()
    assert httpx.get(url, headers=AUTH).status_code == 404


def test_posted_updated_deleted_articles_show_through_the_cache_within_a_second(
    origin: LiveServer, cache: Varnish, db: Path
) -> None:
    post(origin, record(1))
    settle(db)
    for path in POLITICS:
        get(cache, path)
        assert get(cache, path).headers["x-cache"] == "HIT"
    story = record(2, title="خبر جديد عبر الذاكرة")
    link = story["link"].encode()

    def everywhere(present: bool, text: bytes) -> Callable[[], bool]:
        return lambda: all((text in get(cache, path).content) == present for path in POLITICS)

    post(origin, story)
    within(VISIBLE_WITHIN, everywhere(True, link))
    response = httpx.put(
        f"{origin.url}/api/articles/t-00002", json={**story, "title": "عنوان مصحح"}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    within(VISIBLE_WITHIN, everywhere(True, "عنوان مصحح".encode()))
    httpx.delete(f"{origin.url}/api/articles/t-00002", headers=AUTH).raise_for_status()
    within(VISIBLE_WITHIN, everywhere(False, link))


def test_an_embargo_end_shows_through_the_cache_within_a_second_of_its_moment(
    origin: LiveServer, cache: Varnish, db: Path
) -> None:
    post(origin, record(1))
    settle(db)
    moment = int(time.time()) + 5
    later = record(3, published=iso(moment - time.time()), updated=iso(moment - time.time()))
    post(origin, later)
    settle(db, moment)
    time.sleep(PAST_THE_SECOND)
    for path in POLITICS:  # cached before the moment, without the article
        assert later["link"].encode() not in get(cache, path).content
        assert get(cache, path).headers["x-cache"] == "HIT"
    time.sleep(max(0.0, moment - time.time()))
    within(VISIBLE_WITHIN, lambda: all(
        later["link"].encode() in get(cache, path).content for path in POLITICS))  # fmt: skip


def test_a_breaking_expiry_shows_through_the_cache_within_a_second_of_its_moment(
    origin: LiveServer, cache: Varnish, db: Path
) -> None:
    until = int(time.time()) + 5
    story = record(4, published=iso(-60), updated=iso(-60), breaking=True,
                   breaking_until=iso(until - time.time()))  # fmt: skip
    post(origin, story)
    settle(db, until)
    time.sleep(PAST_THE_SECOND)
    paths = [f"/feeds/breaking.{fmt.extension}" for fmt in FORMATS]
    for path in paths:
        assert story["link"].encode() in get(cache, path).content
        assert get(cache, path).headers["x-cache"] == "HIT"
    time.sleep(max(0.0, until - time.time()))
    within(VISIBLE_WITHIN, lambda: all(
        story["link"].encode() not in get(cache, path).content for path in paths))  # fmt: skip


def test_the_cache_keeps_serving_expired_copies_while_the_origin_is_down(
    make_config: MakeConfig, cache_port: int, tmp_path: Path, db: Path
) -> None:
    # copies that expire at once: only stale-if-error (Varnish's grace) keeps them served
    config = make_config(
        cdn={"purge": [f"http://127.0.0.1:{cache_port}/"], "s_maxage": 1,
             "stale_while_revalidate": 0},
        tokens=[token("cms", TOKEN)],
    )  # fmt: skip
    with contextlib.ExitStack() as origin_running:
        origin = origin_running.enter_context(live_server(config, log_dir=tmp_path))
        backend = int(origin.url.rsplit(":", 1)[1])
        with running_varnish(backend, port=cache_port) as cache:
            post(origin, record(1))
            settle(db)
            time.sleep(PAST_THE_SECOND)
            copies = {path: get(cache, path).content for path in POLITICS}
            origin_running.close()  # nashra stops
            with pytest.raises(httpx.TransportError):
                httpx.get(f"{origin.url}/healthz")
            within(DOWN_NOTICED_S, cache.backend_sick)  # the health probe says "down"
            time.sleep(PAST_THE_SECOND)  # and the copies have expired (s-maxage 1)
            for path, body in copies.items():
                response = get(cache, path)
                assert response.status_code == 200, path
                assert response.content == body


def test_only_the_allowed_addresses_may_purge(origin: LiveServer, cache: Varnish, db: Path) -> None:
    post(origin, record(1))
    settle(db)
    get(cache, "/feeds/politics.rss")
    purge = {"xkey-purge": "nashra-feed-politics"}
    # loopback, but not in the VCL's acl purgers: 127.0.0.2
    elsewhere = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=elsewhere) as stranger:
        assert stranger.request("PURGE", f"{cache.url}/", headers=purge).status_code == 403
    assert get(cache, "/feeds/politics.rss").headers["x-cache"] == "HIT"  # still there
    assert httpx.request("PURGE", f"{cache.url}/").status_code == 400  # which keys?
    assert httpx.request("PURGE", f"{cache.url}/", headers=purge).status_code == 200
    assert get(cache, "/feeds/politics.rss").headers["x-cache"] == "MISS"  # gone
