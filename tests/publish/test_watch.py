"""``nashra publish DIR --watch``: DIR follows every commit and every self-timed change.

The freshness promised is one second: the commit of another process is
published within it, and so is an embargo's end or a breaking article's
expiry at its moment (moved there with the injected clock, not waited for).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import brotli
import pytest
from lxml import etree

from feeds.config.settings import Settings
from feeds.model.spec import feed_specs
from feeds.publish.site import PublishRound, StaticSite
from feeds.publish.watcher import keep_current
from store.sqlite.store import SQLiteStore
from tests.support.builders import NOW, article, mixed_records, record
from tests.support.clock import Clock
from tests.support.commands import ImportRecords

FRESH = 1.0  # seconds: the promise


@contextmanager
def watching(config: Path, site: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``nashra publish SITE --watch`` in a process of its own, once its first round is done."""
    command = [sys.executable, "-m", "feeds.cli", "publish", str(site), "--watch",
               "--config", str(config)]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: "published" in log.read_text() or process.poll() is not None, 20)
        assert process.poll() is None, log.read_text()
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _wait_for(check: Callable[[], bool], timeout: float) -> float:
    """Seconds it took ``check`` to hold; fails after ``timeout``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.01)
    return time.monotonic() - started


def test_a_commit_by_another_process_is_published_within_a_second(
    config_file: Path, import_records: ImportRecords, tmp_path: Path
) -> None:
    assert import_records(mixed_records(10)).code == 0
    site = tmp_path / "site"
    with watching(config_file, site, tmp_path / "watch.log"):
        new = record(900, "en", breaking=False)
        assert import_records([new]).code == 0  # this process, not the watcher, commits
        feed = site / "feeds" / "english.json"
        took = _wait_for(lambda: new["id"] in feed.read_text(encoding="utf-8"), 10)
        assert took < FRESH
        assert new["id"] in gzip.decompress((site / "feeds/english.json.gz").read_bytes()).decode()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_watch_ends_cleanly_on_sigterm_and_sigint(
    config_file: Path, import_records: ImportRecords, tmp_path: Path, signum: int
) -> None:
    assert import_records(mixed_records(5)).code == 0
    site = tmp_path / "site"
    log = tmp_path / "watch.log"
    with watching(config_file, site, log) as process:
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0, log.read_text()
    assert "Traceback" not in log.read_text()
    assert not list(site.rglob(".*"))  # no temporary file left behind


def test_a_reader_never_sees_a_torn_file(
    config_file: Path, import_records: ImportRecords, tmp_path: Path
) -> None:
    """Files read in a loop while the watcher replaces them, commit after commit, are whole."""
    assert import_records(mixed_records(10)).code == 0
    site = tmp_path / "site"
    feeds = site / "feeds"
    seen: set[bytes] = set()
    torn: list[str] = []
    stop = threading.Event()

    def read_in_a_loop() -> None:
        while not stop.is_set():
            for name, whole in CHECKS.items():
                data = (feeds / name).read_bytes()
                try:
                    whole(data)
                except Exception as error:  # a torn file fails its parser
                    torn.append(f"{name}: {error!r}")
                if name == "english.rss":
                    seen.add(data)

    with watching(config_file, site, tmp_path / "watch.log"):
        reader = threading.Thread(target=read_in_a_loop)
        reader.start()
        try:
            for index in range(25):
                assert import_records([record(1000 + index, "en", breaking=False)]).code == 0
                time.sleep(0.05)
            last = f"t-{1024:05d}"
            _wait_for(lambda: last in (feeds / "english.rss").read_text(encoding="utf-8"), 10)
        finally:
            stop.set()
            reader.join()
    assert torn == []
    assert len(seen) > 5  # the reader did read through many versions


CHECKS: dict[str, Callable[[bytes], object]] = {
    "english.rss": lambda data: etree.fromstring(data),
    "english.json": json.loads,
    "english.atom.gz": lambda data: etree.fromstring(gzip.decompress(data)),
    "english.html.br": lambda data: (
        brotli.decompress(data).decode().endswith("</html>\n")
        or (_ for _ in ()).throw(ValueError("no end"))
    ),
}


def test_embargo_ends_and_breaking_expiries_are_published_at_their_moment(
    settings: Settings, tmp_path: Path
) -> None:
    clock = Clock.at(NOW)
    site_dir = tmp_path / "site"
    rounds: list[PublishRound] = []

    async def scenario() -> None:
        store = await SQLiteStore.open(settings.store.path, clock=clock)
        try:
            embargoed = article(1, published=NOW + timedelta(seconds=10), breaking=False)
            expiring = article(2, breaking=True, breaking_until=NOW + timedelta(seconds=20))
            await store.put_articles([embargoed, expiring])
            site = StaticSite(site_dir, settings, feed_specs(settings), store, clock)
            watcher = asyncio.create_task(
                keep_current(site, store, clock, rounds.append, pytest.fail)
            )
            politics = site_dir / "feeds" / "politics.atom"
            breaking = site_dir / "feeds" / "breaking.atom"
            await _until(lambda: bool(rounds))
            assert "a-1" not in politics.read_text() and "a-2" in breaking.read_text()
            clock.advance(10)  # the embargo ends
            assert await _until(lambda: "a-1" in politics.read_text()) < FRESH
            assert "a-2" in breaking.read_text()
            clock.advance(10)  # the breaking article expires
            assert await _until(lambda: "a-2" not in breaking.read_text()) < FRESH
            watcher.cancel()
            await asyncio.wait([watcher])
        finally:
            await store.close()

    asyncio.run(scenario())


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> float:
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)
    return time.monotonic() - started
