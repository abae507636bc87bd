"""The index page: every feed in both formats, with autodiscovery links."""

from __future__ import annotations

from tests.support.fetch import Fetch


def test_index_page_lists_every_feed_with_autodiscovery(fetch: Fetch) -> None:
    response = fetch("/")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<html lang="ar" dir="rtl">' in page
    for feed in ["politics", "economy", "farsi", "urdu", "english", "francais", "all", "breaking"]:
        for fmt, media in (("rss", "application/rss+xml"), ("atom", "application/atom+xml")):
            url = f"https://news.example/feeds/{feed}.{fmt}"
            assert f'type="{media}"' in page
            assert f'href="{url}"' in page
    assert "<code>fa</code>" in page
