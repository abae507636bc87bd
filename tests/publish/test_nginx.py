"""A real nginx, with the shipped configuration, serving what ``nashra publish`` wrote.

It must send what ``nashra serve`` sends for the same URL: the same bytes
(compressed ones included), the same media type and charset, Cache-Control,
CORS and the feed page's Content-Security-Policy; with its own validators,
which change when a file is replaced and only then.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import lxml.html
import pytest
from starlette.testclient import TestClient

from feeds.config.settings import Settings
from feeds.formats.registry import FORMATS
from feeds.model.spec import feed_specs
from tests.publish.conftest import EXTENSIONS, raw
from tests.support.builders import mixed_records, record
from tests.support.commands import ImportRecords, Nashra
from tests.support.nginx import brotli_installed, require_nginx, static_nginx

#: what nginx must send as nashra serve does
SAME_HEADERS = ("content-type", "access-control-allow-origin",
                "x-content-type-options", "content-security-policy")  # fmt: skip


@pytest.fixture
def site(import_records: ImportRecords, nashra: Nashra, tmp_path: Path) -> Path:
    require_nginx()  # before anything is made: a skip should cost nothing
    assert import_records(mixed_records(30)).code == 0
    root = tmp_path / "site"
    assert nashra("publish", str(root)).code == 0
    return root


@pytest.fixture
def nginx(site: Path, tmp_path: Path) -> Iterator[str]:
    with static_nginx(site, tmp_path / "nginx") as base:
        yield base


def _get(url: str, encoding: str = "identity", **headers: str) -> tuple[httpx.Response, bytes]:
    with httpx.stream("GET", url, headers={"Accept-Encoding": encoding, **headers}) as response:
        return response, b"".join(response.iter_raw())


def test_nginx_sends_the_bytes_and_headers_serve_sends(
    settings: Settings, nginx: str, served: TestClient
) -> None:
    encodings = ["identity", "gzip", *(["br"] if brotli_installed() else [])]
    for key in feed_specs(settings):
        for extension in EXTENSIONS:
            path = f"/feeds/{key}.{extension}"
            for encoding in encodings:
                response, body = _get(nginx + path, encoding)
                expected, headers = raw(served, path, encoding)
                assert response.status_code == 200, path
                assert body == expected, (path, encoding)
                assert response.headers.get("content-encoding", "identity") == encoding
                for name in SAME_HEADERS:
                    assert response.headers.get(name) == headers.get(name), (path, name)
                # serve's lifetime for readers; no s-maxage or stale-*: nothing
                # purges a cache in front of a static site
                max_age = next(d for d in headers["cache-control"].split(", ") if "max-age" in d)
                assert response.headers["cache-control"] == f"public, {max_age}", path
                assert response.headers["vary"] == "Accept-Encoding"
                assert response.headers["etag"] and response.headers["last-modified"]


def test_nginx_serves_the_index_and_every_opml_list(nginx: str, served: TestClient) -> None:
    index = httpx.get(nginx + "/")
    assert index.status_code == 200
    assert index.content == served.get("/").content
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    for fmt in FORMATS:
        listed = httpx.get(nginx + "/feeds.opml", params={"format": fmt.extension})
        expected = served.get("/feeds.opml", params={"format": fmt.extension})
        assert listed.status_code == 200
        assert listed.content == expected.content, fmt.extension
        assert listed.headers["content-type"] == expected.headers["content-type"]
    assert httpx.get(nginx + "/feeds.opml").content == served.get("/feeds.opml").content
    assert httpx.get(nginx + "/feeds.opml", params={"format": "nope"}).status_code == 400


def test_nginx_answers_conditional_requests_until_the_file_changes(
    nginx: str, import_records: ImportRecords, nashra: Nashra, site: Path
) -> None:
    url = nginx + "/feeds/english.atom"
    first, _ = _get(url, "gzip")
    tag = first.headers["etag"]
    again, _ = _get(url, "gzip", **{"If-None-Match": tag})
    assert again.status_code == 304
    assert nashra("publish", str(site)).code == 0  # nothing changed: nothing rewritten
    assert _get(url, "gzip", **{"If-None-Match": tag})[0].status_code == 304
    new = record(900, "en", breaking=False)
    assert import_records([new]).code == 0
    assert nashra("publish", str(site)).code == 0
    changed, body = _get(url, "gzip", **{"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
    assert new["id"].encode() in gzip.decompress(body)


def test_nginx_answers_cors_preflights_and_hides_files_being_written(
    nginx: str, site: Path
) -> None:
    preflight = httpx.options(
        nginx + "/feeds/all.json",
        headers={"Origin": "https://reader.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET, HEAD"
    assert "If-None-Match" in preflight.headers["access-control-allow-headers"]
    assert "access-control-allow-methods" not in httpx.get(nginx + "/feeds/all.json").headers
    (site / "feeds" / ".all.rss.99.tmp").write_bytes(b"half a feed")
    assert httpx.get(nginx + "/feeds/.all.rss.99.tmp").status_code == 404


def test_every_link_of_the_index_and_the_pages_works_on_the_static_site(
    settings: Settings, nginx: str
) -> None:
    """The pages link to nashra's URLs by the site's absolute link: each is a file nginx has."""
    pages = ["/", *(f"/feeds/{key}.html" for key in feed_specs(settings))]
    links: set[str] = set()
    for page in pages:
        html = lxml.html.fromstring(httpx.get(nginx + page).content)
        links.update(str(href) for href in html.xpath("//a/@href | //link/@href"))
    # nashra's own URLs: /feeds/… and /feeds.opml (the entries link to the articles)
    ours = {link for link in links if link.startswith(settings.site.link + "feeds")}
    assert len(ours) > 30 and "https://news.example/feeds.opml" in ours
    for link in sorted(ours):
        path = "/" + link.removeprefix(settings.site.link)
        assert httpx.get(nginx + path).status_code == 200, link
