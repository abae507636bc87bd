"""``nashra publish DIR``: every file is what ``nashra serve`` sends at its URL."""

from __future__ import annotations

import gzip
from email.utils import parsedate_to_datetime
from pathlib import Path

import brotli
from starlette.testclient import TestClient

from feeds.config.settings import Settings
from feeds.formats.registry import FORMATS
from feeds.http.opml import DEFAULT_FORMAT
from feeds.model.spec import feed_specs
from tests.publish.conftest import EXTENSIONS, published_files, raw
from tests.support.builders import mixed_records, record
from tests.support.commands import ImportRecords, Nashra

SUFFIX = {"identity": "", "gzip": ".gz", "br": ".br"}


def test_every_published_file_holds_the_bytes_serve_sends(
    settings: Settings,
    import_records: ImportRecords,
    nashra: Nashra,
    served: TestClient,
    tmp_path: Path,
) -> None:
    assert import_records(mixed_records(40)).code == 0
    site = tmp_path / "site"
    run = nashra("publish", str(site))
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith(f"published {site}: 8 feeds rendered, ")
    for key in feed_specs(settings):
        for extension in EXTENSIONS:
            path = f"/feeds/{key}.{extension}"
            for encoding, suffix in SUFFIX.items():
                body, headers = raw(served, path, encoding)
                assert headers.get("content-encoding", "identity") == encoding
                # the same bytes as sent, compressed ones included (same code, same levels)
                assert (site / f"feeds/{key}.{extension}{suffix}").read_bytes() == body, path
    assert (site / "index.html").read_bytes() == served.get("/").content
    for fmt in FORMATS:
        answer = served.get("/feeds.opml", params={"format": fmt.extension})
        name = "feeds.opml" if fmt.extension == DEFAULT_FORMAT else f"feeds.{fmt.extension}.opml"
        assert (site / name).read_bytes() == answer.content
    # the index and the lists are compressed too, for gzip_static and brotli_static
    index = (site / "index.html").read_bytes()
    assert gzip.decompress((site / "index.html.gz").read_bytes()) == index
    assert brotli.decompress((site / "index.html.br").read_bytes()) == index
    assert not [p for p in site.rglob(".*")]  # no temporary file left


def test_publishing_an_unchanged_store_again_rewrites_nothing(
    import_records: ImportRecords, nashra: Nashra, tmp_path: Path
) -> None:
    assert import_records(mixed_records(20)).code == 0
    site = tmp_path / "site"
    assert nashra("publish", str(site)).code == 0
    before = published_files(site)
    run = nashra("publish", str(site))
    assert run.code == 0
    assert ", 0 files written, " in run.out
    assert published_files(site) == before  # same inodes and times: nginx's validators stay


def test_a_change_rewrites_only_the_files_whose_bytes_changed(
    import_records: ImportRecords, nashra: Nashra, tmp_path: Path
) -> None:
    assert import_records(mixed_records(20)).code == 0
    site = tmp_path / "site"
    assert nashra("publish", str(site)).code == 0
    before = published_files(site)
    new = record(900, "en", breaking=False)  # english and all, nothing else
    assert import_records([new]).code == 0
    assert nashra("publish", str(site)).code == 0
    after = published_files(site)
    changed = {name.split("/")[-1].split(".")[0] for name in before if after[name] != before[name]}
    assert changed == {"english", "all"}
    assert new["id"] in (site / "feeds/english.rss").read_text(encoding="utf-8")


def test_a_feed_file_is_dated_by_the_feeds_last_change(
    import_records: ImportRecords, nashra: Nashra, served: TestClient, tmp_path: Path
) -> None:
    """nginx's Last-Modified is the file's time: the second of the feed's last change."""
    assert import_records(mixed_records(10)).code == 0
    site = tmp_path / "site"
    assert nashra("publish", str(site)).code == 0
    served_at = served.get("/feeds/all.atom").headers["last-modified"]
    changed = parsedate_to_datetime(served_at).timestamp()
    mtime = (site / "feeds/all.atom").stat().st_mtime
    assert changed - 1 <= mtime <= changed  # serve rounds the change up, the file down


def test_publish_to_a_path_that_is_a_file_is_one_line_and_status_2(
    nashra: Nashra, tmp_path: Path
) -> None:
    occupied = tmp_path / "occupied"
    occupied.write_text("not a directory")
    run = nashra("publish", str(occupied))
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert run.err.startswith(f"nashra: error: cannot publish to {occupied}: ")
