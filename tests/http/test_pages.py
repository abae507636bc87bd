"""The index page: every feed in every format, with autodiscovery links."""

from __future__ import annotations

import lxml.html

from tests.support.fetch import Fetch

FEEDS = ["politics", "economy", "farsi", "urdu", "english", "francais", "all", "breaking"]
MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",  # JSON Feed 1.1: discovery prefers it to application/json
}


def test_index_page_lists_every_feed_with_autodiscovery(fetch: Fetch) -> None:
    response = fetch("/")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<html lang="ar" dir="rtl">' in page
    root = lxml.html.document_fromstring(page)
    discovery = {
        (link.get("type"), link.get("href"))
        for link in root.head.iterfind("link[@rel='alternate']")
    }
    listed = set(root.body.xpath("//td/a/@href"))
    for feed in FEEDS:
        for fmt, media in MEDIA_TYPES.items():
            url = f"https://news.example/feeds/{feed}.{fmt}"
            assert (media, url) in discovery
            assert url in listed
    assert len(discovery) == len(listed) == len(FEEDS) * len(MEDIA_TYPES)
    labels = set(root.body.xpath("//td/a/text()"))
    assert labels == {"RSS 2.0", "Atom 1.0", "JSON Feed 1.1"}
    assert "<code>fa</code>" in page
