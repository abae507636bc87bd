"""What feed responses tell shared caches: lifetimes and surrogate keys (``[cdn]``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.config.loader import load_settings
from feeds.formats.registry import FORMATS, HTML_VIEW
from tests.support.builders import record
from tests.support.clock import Clock
from tests.support.commands import ImportRecords
from tests.support.config import MakeConfig
from tests.support.headers import cache_directives

EXTENSIONS = [fmt.extension for fmt in (*FORMATS, HTML_VIEW)]
NAVIGATION = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}


@pytest.mark.parametrize("extension", EXTENSIONS)
@pytest.mark.parametrize("feed", ["politics", "all", "breaking"])
@pytest.mark.parametrize("encoding", ["identity", "gzip", "br"])
def test_every_feed_response_names_its_keys_in_xkey(
    client: TestClient, import_records: ImportRecords, feed: str, extension: str, encoding: str
) -> None:
    assert import_records([record(1), record(7)]).code == 0
    path = f"/feeds/{feed}.{extension}"
    response = client.get(path, headers={"Accept-Encoding": encoding})
    keys = f"nashra-feed-{feed} nashra-format-{extension} nashra"
    assert response.headers["xkey"] == keys
    assert "surrogate-key" not in response.headers and "cache-tag" not in response.headers
    tag = response.headers["etag"]
    not_modified = client.get(path, headers={"Accept-Encoding": encoding, "If-None-Match": tag})
    assert not_modified.status_code == 304
    assert not_modified.headers["xkey"] == keys  # a cache that revalidates keeps them


#: a cache nashra purges; nothing listens there: its purges fail and are retried
PURGED = {"purge": ["http://127.0.0.1:9/"]}


def test_purged_caches_keep_feeds_long_readers_as_before(
    make_config: MakeConfig, clock: Clock, import_records: ImportRecords
) -> None:
    with TestClient(create_app(load_settings(make_config(cdn=PURGED)), clock=clock)) as client:
        assert import_records([record(1)]).code == 0
        feed = cache_directives(client.get("/feeds/politics.rss").headers["cache-control"])
        page = client.get("/feeds/politics.rss", headers=NAVIGATION)
    assert feed == {"public": None, "max-age": 300, "s-maxage": 14400,
                    "stale-while-revalidate": 30, "stale-if-error": 86400}  # fmt: skip
    assert page.headers["cache-control"] == "private, max-age=300"  # the browser's only


def test_caches_nothing_purges_keep_feeds_as_readers_do(
    client: TestClient, import_records: ImportRecords
) -> None:
    assert import_records([record(1)]).code == 0
    feed = cache_directives(client.get("/feeds/politics.rss").headers["cache-control"])
    assert feed == {"public": None, "max-age": 300,
                    "stale-while-revalidate": 30, "stale-if-error": 86400}  # fmt: skip


def test_a_purged_caches_lifetime_ends_at_the_feeds_next_change(
    make_config: MakeConfig, clock: Clock, import_records: ImportRecords
) -> None:
    clock.stop()
    soon = datetime.fromtimestamp(int(clock.now) + 1800, UTC).isoformat()
    with TestClient(create_app(load_settings(make_config(cdn=PURGED)), clock=clock)) as client:
        assert import_records([record(1), record(2, published=soon, updated=soon)]).code == 0
        feed = cache_directives(client.get("/feeds/politics.rss").headers["cache-control"])
    assert 1790 <= feed["s-maxage"] <= 1800  # type: ignore[operator]
    assert "stale-while-revalidate" not in feed


def test_the_headers_and_lifetimes_are_configurable(
    make_config: MakeConfig, clock: Clock, import_records: ImportRecords
) -> None:
    config = make_config(
        cdn={
            **PURGED,
            "key_headers": ["Surrogate-Key", "Cache-Tag"],
            "s_maxage": 86400,
            "stale_while_revalidate": 0,
            "stale_if_error": 0,
        }
    )
    with TestClient(create_app(load_settings(config), clock=clock)) as client:
        assert import_records([record(1)]).code == 0  # the default config's store: the same
        response = client.get("/feeds/politics.atom")
    assert response.headers["surrogate-key"] == "nashra-feed-politics nashra-format-atom nashra"
    assert response.headers["cache-tag"] == "nashra-feed-politics,nashra-format-atom,nashra"
    assert "xkey" not in response.headers
    assert response.headers["cache-control"] == "public, max-age=300, s-maxage=86400"


def test_no_key_headers_when_none_are_configured(make_config: MakeConfig, clock: Clock) -> None:
    config: Path = make_config(cdn={"key_headers": []})
    with TestClient(create_app(load_settings(config), clock=clock)) as client:
        response = client.get("/feeds/politics.rss")
    assert response.status_code == 200
    assert "xkey" not in response.headers
