"""Time-based visibility: embargoes end and breaking news expires without any write.

The tests move the app's clock instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.support.builders import record, rfc3339
from tests.support.clock import Clock
from tests.support.commands import ImportRecords
from tests.support.config import MakeConfig, token
from tests.support.headers import cache_directives

TOKEN = "time-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def config_file(make_config: MakeConfig) -> Path:
    """The test configuration with an API token, to read articles back."""
    return make_config(tokens=[token("cms", TOKEN)])


@pytest.fixture(autouse=True)
def stopped(clock: Clock) -> None:
    """The app's clock stands still unless a test moves it."""
    clock.stop()


def at(clock: Clock, seconds: float) -> str:
    return datetime.fromtimestamp(clock.now + seconds, UTC).isoformat(timespec="seconds")


def test_embargoed_article_appears_when_its_time_comes(
    client: TestClient, clock: Clock, import_records: ImportRecords
) -> None:
    now = record(1, published=at(clock, -3600), updated=at(clock, -3600))
    later = record(2, published=at(clock, 1800), updated=at(clock, 1800))
    assert import_records([now, later]).code == 0
    for feed in ("politics", "all"):
        before = client.get(f"/feeds/{feed}.atom")
        assert now["link"].encode() in before.content
        assert later["link"].encode() not in before.content
        # no cache may keep the feed past the embargo's end, nor serve it stale then
        directives = cache_directives(before.headers["cache-control"])
        assert 0 < directives["max-age"] <= 1800  # type: ignore[operator]
        assert "s-maxage" not in directives  # no cache is purged: shared ones use max-age
        stale = directives.get("stale-while-revalidate") or 0
        assert directives["max-age"] + stale <= 1800  # type: ignore[operator]
    before = client.get("/feeds/politics.atom")
    clock.advance(1801)
    after = client.get("/feeds/politics.atom", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert later["link"].encode() in after.content
    assert after.headers["etag"] != before.headers["etag"]
    assert parsedate_to_datetime(after.headers["last-modified"]) > parsedate_to_datetime(
        before.headers["last-modified"]
    )
    assert after.headers["cache-control"] == (
        "public, max-age=300, stale-while-revalidate=30, stale-if-error=86400"
    )


def test_breaking_news_leaves_the_breaking_feed_by_itself(
    client: TestClient, clock: Clock, import_records: ImportRecords
) -> None:
    story = record(
        3,
        published=at(clock, -600),
        updated=at(clock, -600),
        breaking=True,
        breaking_until=at(clock, 900),
    )
    assert import_records([story]).code == 0
    before = client.get("/feeds/breaking.rss")
    assert story["link"].encode() in before.content
    directives = cache_directives(before.headers["cache-control"])
    assert directives["max-age"] == 60
    assert "s-maxage" not in directives
    clock.advance(901)
    after = client.get("/feeds/breaking.rss", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert story["link"].encode() not in after.content
    # it stays in its other feeds
    assert story["link"].encode() in client.get("/feeds/politics.rss").content
    assert story["link"].encode() in client.get("/feeds/all.rss").content


def test_expiry_close_to_now_shortens_max_age(
    client: TestClient, clock: Clock, import_records: ImportRecords
) -> None:
    story = record(4, published=at(clock, -60), updated=at(clock, -60), breaking=True,
                   breaking_until=at(clock, 20))  # fmt: skip
    assert import_records([story]).code == 0
    for left in (20, 10):
        response = client.get("/feeds/breaking.atom")
        assert response.headers["cache-control"] in (
            f"public, max-age={age}, stale-if-error=86400" for age in (left - 1, left)
        )
        clock.advance(10)


def test_breaking_until_round_trips_through_the_store(
    client: TestClient, clock: Clock, import_records: ImportRecords
) -> None:
    until = datetime.fromtimestamp(int(clock.now) + 3600, UTC)
    story = record(5, breaking=True, breaking_until=rfc3339(until, "+03:30"))
    assert import_records([story]).code == 0
    stored = client.get(f"/api/articles/{story['id']}", headers=AUTH)
    assert stored.status_code == 200
    read_back = stored.json().get("breaking_until")
    assert read_back is not None
    assert datetime.fromisoformat(read_back) == until  # the same instant
    again = import_records([story])
    assert "unchanged 1" in again.out
