"""The ``nashra sync wordpress`` command: its summary, its errors, ``--every``, and the feeds
a sync leaves behind, as a reader gets them from ``nashra serve``."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
from lxml import etree

from feeds.config.settings import Settings
from tests.support.commands import Nashra
from tests.support.config import MakeConfig
from tests.support.live import Serve, free_port
from tests.wordpress.conftest import CATEGORIES, WORDPRESS
from tests.wordpress.replay import ReplayWordPress

SUMMARY = re.compile(
    r"added (\d+), updated (\d+), unchanged (\d+), stale (\d+), removed (\d+), "
    r"skipped (\d+)(?: \(([^)]*)\))?, (\d+) requests, \d+\.\d\d s"
)
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def test_a_sync_prints_one_summary_line(nashra: Nashra, wordpress: ReplayWordPress) -> None:
    run = nashra("sync", "wordpress", wordpress.url)
    assert run.code == 0, run.err
    assert run.err == ""
    found = SUMMARY.fullmatch(run.out.strip())
    assert found, run.out
    assert found[1] == "21" and found[7] == "1 in no configured category, 1 password-protected"
    assert int(found[8]) == len(wordpress.seen)
    again = SUMMARY.fullmatch(nashra("sync", "wordpress", wordpress.url).out.strip())
    assert again and again[1] == "0"


def test_an_unreachable_site_is_one_line_and_exit_status_2(nashra: Nashra) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    run = nashra("sync", "wordpress", url)
    assert run.code == 2
    assert re.fullmatch(r"nashra: error: http://127\.0\.0\.1:\d+/wp-json/wp/v2/posts\S* "
                        r"cannot be reached \(.*\) \(2 attempts\)\n", run.err), run.err  # fmt: skip


def test_a_second_site_in_the_same_store_is_refused(
    nashra: Nashra, wordpress: ReplayWordPress
) -> None:
    assert nashra("sync", "wordpress", wordpress.url).code == 0
    other = wordpress.url.replace("127.0.0.1", "localhost")
    run = nashra("sync", "wordpress", other)
    assert run.code == 2
    assert f"this store already syncs {wordpress.url}: one WordPress site per store" in run.err


def test_every_syncs_again_until_sigterm(config_file: Path, wordpress: ReplayWordPress) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "feeds.cli", "sync", "wordpress", wordpress.url,
         "--every", "1", "--config", str(config_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        first = process.stderr.readline()  # the first round's line, then it waits a second
        assert SUMMARY.fullmatch(first.strip()), first
        wordpress.state("after")
        deadline = time.monotonic() + 30
        while not any("modified_after" in s.query for s in wordpress.post_requests()):
            assert time.monotonic() < deadline, "no second round"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    assert SUMMARY.fullmatch(out.strip()), out


def test_the_feeds_carry_the_synced_posts_in_their_language(
    nashra: Nashra, wordpress: ReplayWordPress, serve: Serve
) -> None:
    assert nashra("sync", "wordpress", wordpress.url).code == 0
    with serve() as server:
        atom = httpx.get(f"{server.url}/feeds/economy.atom")
        page = httpx.get(f"{server.url}/feeds/all.html")
    feed = etree.fromstring(atom.content)
    assert feed.get(XML_LANG) == "ar"
    entries = {e.findtext(f"{ATOM}id"): e for e in feed.iter(f"{ATOM}entry")}
    english = entries["tag:news.example,2026:article:wp-8"]
    assert english.get(XML_LANG) == "en"
    assert english.findtext(f"{ATOM}title") == "Markets rally — oil & gas up “sharply”…"
    arabic = entries["tag:news.example,2026:article:wp-16"]
    assert arabic.get(XML_LANG) is None  # the feed's own language
    html = etree.fromstring(page.content, etree.HTMLParser())
    article = html.xpath("//article[.//a[contains(@href, '/2026/11/')]]")
    directions = {(a.get("lang"), a.get("dir")) for a in article}
    assert ("en", "ltr") in directions and ("ar", "rtl") in directions


def test_an_invalid_post_is_named_and_the_others_go_on(
    nashra: Nashra, wordpress: ReplayWordPress
) -> None:
    post = next(p for p in wordpress.posts if p["id"] == 6)
    post["link"] = "javascript:alert(1)"
    run = nashra("sync", "wordpress", wordpress.url)
    assert run.code == 1
    assert run.err == (
        "post 6 (id wp-6): link: must be an absolute http(s) URL, not 'javascript:alert(1)'\n"
    )
    found = SUMMARY.fullmatch(run.out.strip())
    assert found and found[1] == "20" and "1 invalid" in found[7]


def test_a_url_that_is_no_site_address_is_refused_before_the_store_is_made(
    nashra: Nashra, settings: Settings
) -> None:
    run = nashra("sync", "wordpress", "ftp://news.example/")
    assert run.code == 2
    assert run.err == (
        "nashra: error: 'ftp://news.example/' is not the http(s) address of a WordPress site\n"
    )
    assert not settings.store.path.exists()


def test_sigterm_during_a_long_retry_after_ends_the_sync_at_once(
    config_file: Path, wordpress: ReplayWordPress
) -> None:
    wordpress.fail(
        lambda path, query: "_embed" in query, status=503, headers={"Retry-After": "300"}
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "feeds.cli", "sync", "wordpress", wordpress.url,
         "--config", str(config_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not any("_embed" in s.query for s in wordpress.post_requests()):
            assert time.monotonic() < deadline, "no request for a page"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)  # not the 300 s of Retry-After
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    found = SUMMARY.fullmatch(out.strip())
    assert found and found[1] == "0", out


def test_sigint_lets_the_page_being_read_finish_and_be_written(
    make_config: MakeConfig, wordpress: ReplayWordPress
) -> None:
    config = make_config(categories=CATEGORIES, wordpress={**WORDPRESS, "timeout": 30})
    wordpress.fail(lambda path, query: "_embed" in query, delay=1.5)  # a slow page
    process = subprocess.Popen(
        [sys.executable, "-m", "feeds.cli", "sync", "wordpress", wordpress.url,
         "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not any("_embed" in s.query for s in wordpress.post_requests()):
            assert time.monotonic() < deadline, "no request for a page"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)  # while the page is on its way
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    found = SUMMARY.fullmatch(out.strip())
    assert found and found[1] == "21", out  # the page, written
    assert not any(s.query.get("_fields") == "id,categories,tags" for s in wordpress.seen)
