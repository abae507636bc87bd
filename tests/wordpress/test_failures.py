"""What goes wrong between nashra and a WordPress site, and what the store looks like after."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from feeds.config.settings import Settings
from feeds.ingest.sources.wordpress import WordPressError
from tests.wordpress.conftest import articles, run_sync
from tests.wordpress.replay import ReplayWordPress, Seen, replay_wordpress
from tests.wordpress.test_sync import BEFORE, ids


def pages(path: str, query: dict[str, str]) -> bool:
    """A request for a page of posts with their content (not an id listing)."""
    return path.endswith("/wp/v2/posts") and "_embed" in query


@pytest.mark.parametrize("status", [503, 429])
def test_a_503_with_retry_after_is_waited_for_then_retried(
    settings: Settings, sync: Any, wordpress: ReplayWordPress, status: int
) -> None:
    wordpress.fail(pages, status=status, headers={"Retry-After": "1"})
    run = sync()
    assert set(articles(settings)) == ids(BEFORE)
    first, second = wordpress.post_requests()[1:3]  # after the discovery request
    assert second.at - first.at >= 0.9  # Retry-After, not the 0.01 s backoff of the test
    assert run.summary.requests == len(wordpress.seen)


def test_a_timeout_is_retried(settings: Settings, sync: Any, wordpress: ReplayWordPress) -> None:
    wordpress.fail(pages, delay=2.5)  # the config's timeout is 1 s
    sync()
    assert set(articles(settings)) == ids(BEFORE)


def test_a_timeout_that_lasts_stops_the_sync_with_one_message(
    settings: Settings, sync: Any, wordpress: ReplayWordPress
) -> None:
    wordpress.fail(pages, delay=2.5, times=2)  # retries = 1: two attempts
    with pytest.raises(WordPressError, match=r"timed out after 1 s \(2 attempts\)$"):
        sync()
    assert articles(settings) == {}


def test_an_interrupted_sync_resumes_where_it_stopped(
    settings: Settings, sync: Any, wordpress: ReplayWordPress
) -> None:
    """A malformed third page: the first two pages and their cursor are committed; the next
    sync asks from there and ends with the same store as one that never stopped."""
    third: list[Seen] = []

    def is_third(path: str, query: dict[str, str]) -> bool:
        if pages(path, query):
            third.append(Seen(0, path, query))
        return len(third) == 3

    wordpress.fail(is_third, body=b"<html>Database error</html>", times=1)
    with pytest.raises(WordPressError, match="not JSON"):
        sync(per_page=5)
    half = articles(settings)
    assert 0 < len(half) < len(BEFORE)
    asked = len(wordpress.post_requests())
    sync(per_page=5)
    assert set(articles(settings)) == ids(BEFORE)
    resumed = next(s for s in wordpress.post_requests()[asked:] if pages(s.path, s.query))
    assert "modified_after" in resumed.query  # from the cursor, not from the start
    with replay_wordpress() as clean:
        other = replace(
            settings, store=replace(settings.store, path=settings.store.path.with_name("b.db"))
        )
        run_sync(other, clean.url, per_page=5)
    assert articles(other) == articles(settings)


def test_pages_that_change_while_being_read_lose_no_post(
    settings: Settings, sync: Any, wordpress: ReplayWordPress
) -> None:
    """After the first page the newsroom edits: keyset paging shifts nothing past the sync."""

    read: list[Seen] = []

    def edit_after_first_page(seen: Seen) -> None:  # runs before the request is answered
        if pages(seen.path, seen.query):
            read.append(seen)
        if len(read) == 2:
            wordpress.state("after")
            wordpress.on_request.clear()

    wordpress.on_request.append(edit_after_first_page)
    sync(per_page=5)
    stored = articles(settings)
    public_after = {p["id"] for p in wordpress.posts}
    assert set(stored) == ids(public_after - {17, 18})
    assert stored["wp-7"].title.endswith("— تحديث")
    # every post came with the pages, none had to be found by the id listing afterwards
    # (a draft published without an edit, 19, is the listing's, as is what was removed)
    paged = {
        i
        for s in wordpress.post_requests()
        if pages(s.path, s.query) and "include" not in s.query
        for i in s.served
    }
    assert paged >= public_after - {19}


def test_a_redirect_to_another_host_is_an_error(
    settings: Settings, sync: Any, wordpress: ReplayWordPress
) -> None:
    elsewhere = wordpress.url.replace("127.0.0.1", "localhost") + "wp-json/wp/v2/posts"
    wordpress.fail(status=301, headers={"Location": elsewhere}, times=100)
    with pytest.raises(WordPressError, match=r"redirects to http://localhost:\d+/.*another host"):
        sync()
    assert articles(settings) == {}


def test_a_site_without_pretty_permalinks_is_read_through_rest_route(
    settings: Settings, sync: Any, wordpress: ReplayWordPress
) -> None:
    wordpress.plain = True
    sync()
    assert set(articles(settings)) == ids(BEFORE)
    assert all(s.path == "/" for s in wordpress.seen[2:])  # ?rest_route= from then on


@pytest.mark.parametrize(
    ("status", "said"),
    [(401, "401 Unauthorized"), (403, "403 Forbidden"), (404, "404 Not Found")],
)
def test_refusals_are_one_message(
    settings: Settings, sync: Any, wordpress: ReplayWordPress, status: int, said: str
) -> None:
    sync()
    before = articles(settings)
    wordpress.state("after")
    body = b'{"code":"rest_forbidden","message":"Sorry, you are not allowed to do that."}'
    wordpress.fail(pages, status=status, body=body, headers={"Content-Type": "application/json"})
    with pytest.raises(WordPressError, match=said) as raised:
        sync()
    assert "\n" not in str(raised.value)
    assert articles(settings) == before  # the store as it was before that page


def test_a_site_that_is_not_wordpress(
    settings: Settings, sync: Any, wordpress: ReplayWordPress
) -> None:
    wordpress.fail(
        status=404, body=b"<html>Not Found</html>", headers={"Content-Type": "text/html"}, times=2
    )
    with pytest.raises(WordPressError, match="is not a WordPress site with its REST API on"):
        sync()


def test_a_post_leaving_while_the_ids_are_listed_does_not_remove_another(
    settings: Settings, sync: Any, wordpress: ReplayWordPress
) -> None:
    """Post 6 is trashed after the listing's first page: the pages shift by one, and the
    post that slid onto the page already read would look withdrawn; the listing is read
    again instead."""
    sync(per_page=5)
    listings: list[Seen] = []

    def trash_after_first_listing_page(seen: Seen) -> None:
        if seen.query.get("_fields") == "id,categories,tags":
            listings.append(seen)
        if len(listings) == 2:
            wordpress.posts = [p for p in wordpress.posts if p["id"] != 6]
            wordpress.on_request.clear()

    wordpress.on_request.append(trash_after_first_listing_page)
    run = sync(per_page=5)
    assert set(articles(settings)) == ids(BEFORE - {6})
    assert run.summary.counts["removed"] == 1
