"""``nashra import`` through the CLI: validation messages, all-or-nothing, newer wins, batches.

Every test runs the real command in-process against a real temporary SQLite
store and checks the result through the store itself or through the feeds the
app serves.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from starlette.testclient import TestClient

from feeds.config.settings import Settings
from feeds.formats.registry import FORMATS
from feeds.ingest.sources.jsonl import CHUNK_LINES
from store.sqlite.store import SQLiteStore
from store.types import Article
from tests.support.builders import mixed_records, record
from tests.support.clock import Clock
from tests.support.commands import ImportRecords, Nashra, Run
from tests.support.fetch import fetch

SUMMARY = re.compile(
    r"added (?P<added>\d+), updated (?P<updated>\d+), unchanged (?P<unchanged>\d+), "
    r"stale (?P<stale>\d+), rejected (?P<rejected>\d+), \d+\.\d{2} s, [\d,]+ articles/s"
)
LATER = "2026-11-02T09:00:00+03:00"
EARLIER = "2026-10-30T09:00:00+03:00"


# --- helpers --------------------------------------------------------------------------------------


def counts(run: Run) -> dict[str, int]:
    """The numbers of the summary, the one line on stdout."""
    lines = run.out.splitlines()
    assert len(lines) == 1, run.out
    match = SUMMARY.fullmatch(lines[0])
    assert match, lines[0]
    return {name: int(value) for name, value in match.groupdict().items()}


def stored(settings: Settings, ids: Sequence[str] = ()) -> tuple[int, dict[str, Article | None]]:
    """How many articles the store holds, and the stored version of each of ``ids``."""

    async def read() -> tuple[int, dict[str, Article | None]]:
        store = await SQLiteStore.open(settings.store.path)
        try:
            return await store.count_articles(), {i: await store.get_article(i) for i in ids}
        finally:
            await store.close()

    return asyncio.run(read())


def title_of(settings: Settings, article_id: str) -> str:
    article = stored(settings, [article_id])[1][article_id]
    assert article is not None
    return article.title


def feed_titles(client: TestClient, feed: str = "politics") -> list[str]:
    document = fetch(client, f"/feeds/{feed}.rss").content
    return etree.fromstring(document).xpath("/rss/channel/item/title/text()")


# --- one message per kind of error ----------------------------------------------------------------

ID = "t-00002"


def _without(name: str) -> dict[str, Any]:
    data = record(2)
    del data[name]
    return data


ERRORS: list[tuple[str, Any, str, str]] = [
    # (case, the record or raw line at line 2, field named, part of the message)
    ("missing id", _without("id"), "id", "is required"),
    ("null id", record(2, id=None) | {"id": None}, "id", "is required"),
    ("missing title", _without("title"), "title", "is required"),
    ("missing link", _without("link"), "link", "is required"),
    ("missing published", _without("published"), "published", "is required"),
    ("missing categories", _without("categories"), "categories", "is required"),
    ("title a number", record(2, title=5), "title", "must be a string, not a number"),
    ("id a number", record(2, id=5), "id", "must be a string, not a number"),
    ("breaking a string", record(2, breaking="yes"), "breaking", "must be a boolean"),
    (
        "categories a string",
        record(2, categories="politics"),
        "categories",
        "must be a list of strings, not a string",
    ),
    (
        "image length a string",
        record(
            2, image={"url": "https://news.example/i.jpg", "type": "image/jpeg", "length": "12"}
        ),
        "image.length",
        "must be a size in bytes",
    ),
    (
        "image length beyond SQLite",
        record(
            2, image={"url": "https://news.example/i.jpg", "type": "image/jpeg", "length": 2**64}
        ),
        "image.length",
        "must be a size in bytes",
    ),
    (
        "image width zero",
        record(2, image={"url": "https://news.example/i.jpg", "type": "image/jpeg", "width": 0}),
        "image.width",
        "must be pixels",
    ),
    (
        "image height a string",
        record(
            2, image={"url": "https://news.example/i.jpg", "type": "image/jpeg", "height": "450"}
        ),
        "image.height",
        "must be pixels",
    ),
    (
        "image alt a number",
        record(2, image={"url": "https://news.example/i.jpg", "type": "image/jpeg", "alt": 5}),
        "image.alt",
        "must be a string, not a number",
    ),
    (
        "image not an image",
        record(2, image={"url": "https://news.example/v.mp4", "type": "video/mp4"}),
        "image.type",
        "must be an image's media type",
    ),
    (
        "image width without height",
        record(2, image={"url": "https://news.example/i.jpg", "type": "image/jpeg", "width": 8}),
        "image.width",
        "given together",
    ),
    (
        "image url relative",
        record(2, image={"url": "/media/i.jpg", "type": "image/jpeg", "length": 12}),
        "image.url",
        "must be an absolute http(s) URL",
    ),
    ("relative link", record(2, link="/2026/11/01/t-00002/"), "link", "absolute http(s) URL"),
    ("link not http", record(2, link="javascript:alert(1)"), "link", "absolute http(s) URL"),
    (
        "link with a control character",
        record(2, link="https://news.example/a\x00b/"),
        "link",
        "control characters",
    ),
    (
        "published without offset",
        record(2, published="2026-11-01T08:00:00"),
        "published",
        "has no UTC offset",
    ),
    ("published date only", record(2, published="2026-11-01"), "published", "not an RFC 3339"),
    ("updated without offset", record(2, updated="2026-11-01T08:00:00"), "updated", "UTC offset"),
    ("published a number", record(2, published=1762000000), "published", "not a number"),
    (
        "published in year 10000 once in UTC",
        record(2, published="9999-12-31T23:59:59-12:00"),
        "published",
        "outside the dates nashra keeps",
    ),
    (
        "updated in year 10000 once in UTC",
        record(2, updated="9999-12-31T23:59:59.5-00:01"),
        "updated",
        "outside the dates nashra keeps",
    ),
    (
        "breaking_until in year 10000 once in UTC",
        record(2, breaking_until="9999-12-31T20:00:00-04:00"),
        "breaking_until",
        "outside the dates nashra keeps",
    ),
    (
        "published before 1970 in UTC",
        record(2, published="1970-01-01T00:30:00+01:00"),
        "published",
        "outside the dates nashra keeps",
    ),
    (
        "published in year 1 before UTC",
        record(2, published="0001-01-01T00:00:00+00:01"),
        "published",
        "outside the dates nashra keeps",
    ),
    ("unknown category", record(2, categories=["sports"]), "categories[0]", "unknown category"),
    ("empty categories", record(2, categories=[]), "categories", "at least one category"),
    (
        "unknown language",
        record(2) | {"language": "xx-nonsense"},
        "language",
        "unknown language tag",
    ),
    ("unknown field", record(2, colour="red"), "colour", "unknown field"),
    ("title empty once cleaned", record(2, title="<b></b> "), "title", "is empty once markup"),
]


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [pytest.param(bad, field, message, id=case) for case, bad, field, message in ERRORS],
)
def test_each_error_names_line_id_and_field(
    import_records: ImportRecords, settings: Settings, bad: Any, field: str, message: str
) -> None:
    run = import_records([record(1), bad])
    assert run.code == 1
    has_id = isinstance(bad.get("id"), str)
    where = f"line 2 (id {ID})" if has_id else "line 2"
    problems = run.err.splitlines()
    assert problems, run.err
    assert all(p.startswith(f"{where}: ") for p in problems), problems
    assert any(p.startswith(f"{where}: {field}: ") and message in p for p in problems), problems
    assert counts(run) == dict(added=0, updated=0, unchanged=0, stale=0, rejected=1)
    assert stored(settings)[0] == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param('{"id": "t-00002", "title": ', "is not valid JSON", id="not JSON"),
        pytest.param('["t-00002", "title"]', "is not a JSON object", id="JSON array"),
        pytest.param('"t-00002"', "is not a JSON object", id="JSON string"),
        pytest.param("[" * 100_000 + "]" * 100_000, "is nested too deeply", id="deep nesting"),
    ],
)
def test_a_line_that_is_no_record_is_named(
    import_records: ImportRecords, settings: Settings, line: str, message: str
) -> None:
    run = import_records([record(1), line])
    assert run.code == 1
    assert run.err.startswith(f"line 2: record: {message}")
    assert len(run.err.splitlines()) == 1
    assert counts(run)["rejected"] == 1
    assert stored(settings)[0] == 0


def test_a_line_over_4_mib_is_named_and_the_rest_still_checked(
    import_records: ImportRecords, settings: Settings
) -> None:
    huge = record(2, content="<p>" + "x" * (5 << 20) + "</p>")
    run = import_records([record(1), huge, record(3, title=7), record(4)])
    assert run.code == 1
    first, second = run.err.splitlines()
    assert first == "line 2: record: is longer than 4 MiB"
    assert second.startswith("line 3 (id t-00003): title: ")
    assert counts(run)["rejected"] == 2
    assert stored(settings)[0] == 0


def test_every_problem_of_a_record_is_listed(import_records: ImportRecords) -> None:
    bad = record(3, title=5, link="news.example/x", breaking="yes", content=["<p>"])
    bad["language"] = "english"
    run = import_records([record(1), record(2), bad])
    assert run.code == 1
    fields = [line.split(": ")[1] for line in run.err.splitlines()]
    assert all(line.startswith("line 3 (id t-00003): ") for line in run.err.splitlines())
    assert sorted(fields) == ["breaking", "content", "language", "link", "title"]


def test_blank_lines_are_skipped_but_counted(import_records: ImportRecords) -> None:
    run = import_records([record(1), "", "   ", record(4, title=7)])
    assert run.code == 1
    assert run.err.startswith("line 4 (id t-00004): title: ")


# --- defaults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("categories", "language", "expected"),
    [
        (["politics"], None, "ar"),  # a category without a language: the site's
        (["farsi", "politics"], None, "fa"),  # the first category's
        (["english"], None, "en"),
        (["politics"], "AR", "ar"),  # a given tag, in canonical form
        (["politics"], "en_gb", "en-GB"),
    ],
)
def test_language_defaults_to_the_first_categorys(
    import_records: ImportRecords,
    settings: Settings,
    categories: list[str],
    language: str | None,
    expected: str,
) -> None:
    # the text is in the expected language: identification (on by default) agrees with the
    # category, so what is tested is the default (test_language_identification.py: the rest)
    data = record(1, language=expected.split("-")[0], categories=categories)
    data["language"] = language
    if language is None:
        del data["language"]
    assert import_records([data]).code == 0
    article = stored(settings, ["t-00001"])[1]["t-00001"]
    assert article is not None
    assert article.language == expected


def test_updated_defaults_to_published(import_records: ImportRecords, settings: Settings) -> None:
    assert import_records([record(1, updated=None)]).code == 0
    article = stored(settings, ["t-00001"])[1]["t-00001"]
    assert article is not None
    assert article.updated == article.published
    assert article.published.isoformat() == record(1)["published"]


# --- all or nothing, and --skip-invalid -----------------------------------------------------------


def test_one_invalid_record_imports_nothing_and_loses_nothing(
    import_records: ImportRecords, settings: Settings, client: TestClient
) -> None:
    assert import_records([record(1), record(2)]).code == 0
    before = {fmt: client.get(f"/feeds/all.{fmt.extension}") for fmt in FORMATS}
    changed = record(1, title="عنوان جديد", updated=LATER)
    run = import_records([changed, record(3), record(4), record(5, published="yesterday")])
    assert run.code == 1
    assert run.err.splitlines() == [
        "line 4 (id t-00005): published: 'yesterday' is not an RFC 3339 date-time"
    ]
    assert counts(run) == dict(added=0, updated=0, unchanged=0, stale=0, rejected=1)
    count, articles = stored(settings, ["t-00001", "t-00003"])
    assert count == 2
    assert articles["t-00001"] is not None
    assert articles["t-00001"].title == record(1)["title"]
    assert articles["t-00003"] is None
    for fmt, response in before.items():
        after = client.get(f"/feeds/all.{fmt.extension}")
        assert after.content == response.content
        assert after.headers["etag"] == response.headers["etag"]


def test_skip_invalid_imports_the_valid_and_lists_the_invalid(
    import_records: ImportRecords, settings: Settings, client: TestClient
) -> None:
    records = [record(1), record(2), record(3, categories=["sports"]), record(4)]
    run = import_records(records, "--skip-invalid")
    assert run.code == 1
    assert run.err.splitlines() == ["line 3 (id t-00003): categories[0]: unknown category 'sports'"]
    assert counts(run) == dict(added=3, updated=0, unchanged=0, stale=0, rejected=1)
    count, articles = stored(settings, ["t-00001", "t-00002", "t-00003", "t-00004"])
    assert count == 3
    assert [i for i, a in articles.items() if a is None] == ["t-00003"]
    assert sorted(feed_titles(client)) == sorted(record(i)["title"] for i in (1, 2, 4))


def test_skip_invalid_with_nothing_invalid_exits_0(import_records: ImportRecords) -> None:
    run = import_records([record(1), record(2)], "--skip-invalid")
    assert run.code == 0
    assert run.err == ""
    assert counts(run)["added"] == 2


# --- idempotence and newer wins -------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(
    import_records: ImportRecords, client: TestClient, clock: Clock
) -> None:
    records = [*mixed_records(20), record(30, updated=None)]
    first = import_records(records)
    assert first.code == 0
    assert counts(first) == dict(added=21, updated=0, unchanged=0, stale=0, rejected=0)
    # The app's clock past the second of the import's commit: Last-Modified then names
    # that second's end, whenever it is asked (feeds.http.conditional.last_modified).
    clock.advance(2)
    paths = [
        f"/feeds/{feed}.{fmt.extension}" for feed in ("all", "politics", "farsi") for fmt in FORMATS
    ]
    before = {path: client.get(path) for path in paths}
    second = import_records(records)
    assert second.code == 0
    assert counts(second) == dict(added=0, updated=0, unchanged=21, stale=0, rejected=0)
    settled = {path: client.get(path) for path in paths}
    for path, response in before.items():
        again = settled[path]
        assert again.content == response.content, path
        for header in ("etag", "last-modified"):
            assert again.headers[header] == response.headers[header], (path, header)
    third = import_records(records)
    assert counts(third) == dict(added=0, updated=0, unchanged=21, stale=0, rejected=0)
    for path, response in settled.items():
        again = client.get(path)
        assert again.content == response.content, path
        assert again.headers["etag"] == response.headers["etag"], path
        assert again.headers["last-modified"] == response.headers["last-modified"], path


def test_a_newer_record_replaces_and_an_older_one_is_stale(
    import_records: ImportRecords, settings: Settings, client: TestClient
) -> None:
    assert import_records([record(1)]).code == 0
    newer = import_records([record(1, title="عنوان أحدث", updated=LATER)])
    assert newer.code == 0
    assert counts(newer) == dict(added=0, updated=1, unchanged=0, stale=0, rejected=0)
    assert feed_titles(client) == ["عنوان أحدث"]
    older = import_records([record(1, title="عنوان أقدم", updated=EARLIER)])
    assert older.code == 0
    assert counts(older) == dict(added=0, updated=0, unchanged=0, stale=1, rejected=0)
    assert feed_titles(client) == ["عنوان أحدث"]
    assert title_of(settings, "t-00001") == "عنوان أحدث"


def test_the_same_updated_with_other_content_replaces(
    import_records: ImportRecords, client: TestClient
) -> None:
    assert import_records([record(1)]).code == 0
    same_time = import_records([record(1, title="عنوان مصحح", summary="ملخص مصحح")])
    assert counts(same_time) == dict(added=0, updated=1, unchanged=0, stale=0, rejected=0)
    assert feed_titles(client) == ["عنوان مصحح"]
    response = client.get("/feeds/politics.atom")
    assert "ملخص مصحح" in response.text


def test_an_update_that_changes_categories_moves_the_article(
    import_records: ImportRecords, client: TestClient
) -> None:
    assert import_records([record(1)]).code == 0
    moved = import_records([record(1, categories=["economy"], updated=LATER)])
    assert counts(moved)["updated"] == 1
    assert feed_titles(client, "politics") == []
    assert feed_titles(client, "economy") == [record(1)["title"]]


@pytest.mark.parametrize(
    ("second_updated", "winner", "expected"),
    [
        pytest.param(LATER, "الثاني", dict(added=1, updated=1, stale=0), id="later wins"),
        pytest.param(None, "الثاني", dict(added=1, updated=1, stale=0), id="equal wins"),
        pytest.param(EARLIER, "الأول", dict(added=1, updated=0, stale=1), id="older is stale"),
    ],
)
def test_a_duplicate_id_in_one_file(
    import_records: ImportRecords,
    settings: Settings,
    second_updated: str | None,
    winner: str,
    expected: dict[str, int],
) -> None:
    first = record(1, title="الأول")
    second = record(1, title="الثاني", updated=second_updated or first["updated"])
    run = import_records([first, second])
    assert run.code == 0
    summary = counts(run)
    assert {k: summary[k] for k in expected} == expected
    assert stored(settings, ["t-00001"])[0] == 1
    assert title_of(settings, "t-00001") == winner


# --- input sources and sizes ----------------------------------------------------------------------


def test_import_from_standard_input(
    nashra: Nashra,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    client: TestClient,
) -> None:
    lines = "".join(json.dumps(record(i), ensure_ascii=False) + "\n" for i in (1, 2, 3))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines.encode()), "utf-8"))
    run = nashra("import", "-")
    assert run.code == 0, run.err
    assert counts(run)["added"] == 3
    assert stored(settings)[0] == 3
    assert sorted(feed_titles(client)) == sorted(record(i)["title"] for i in (1, 2, 3))


def test_a_missing_file_exits_2_with_a_message(
    nashra: Nashra, tmp_path: Path, settings: Settings
) -> None:
    missing = tmp_path / "nowhere.jsonl"
    run = nashra("import", str(missing))
    assert run.code == 2
    assert run.out == ""
    assert run.err.startswith("nashra: error: cannot read ")
    assert str(missing) in run.err
    assert len(run.err.splitlines()) == 1


def test_a_file_of_many_chunks_imports_every_record_at_once(
    import_records: ImportRecords, settings: Settings
) -> None:
    total = 3 * CHUNK_LINES + 7  # staged by several workers, published in one transaction
    records = [record(i, updated=None, content=None) for i in range(total)]
    run = import_records(records)
    assert run.code == 0, run.err
    assert counts(run) == dict(added=total, updated=0, unchanged=0, stale=0, rejected=0)
    ids = [record(i)["id"] for i in (0, CHUNK_LINES - 1, CHUNK_LINES, total - 1)]
    count, articles = stored(settings, ids)
    assert count == total
    assert all(articles[i] is not None for i in ids)


# --- the summary and --if-empty -------------------------------------------------------------------


def test_the_summary_line(import_records: ImportRecords) -> None:
    run = import_records([record(i) for i in range(5)])
    assert run.code == 0
    assert run.err == ""
    assert run.out.endswith("\n")
    assert SUMMARY.fullmatch(run.out.rstrip("\n"))
    assert run.out.startswith("added 5, updated 0, unchanged 0, stale 0, rejected 0, ")
    assert re.search(r", \d+\.\d\d s, \d{1,3}(,\d{3})* articles/s\n$", run.out)


def test_if_empty_imports_into_an_empty_store(
    import_records: ImportRecords, settings: Settings
) -> None:
    run = import_records([record(1), record(2)], "--if-empty")
    assert run.code == 0
    assert counts(run)["added"] == 2
    assert stored(settings)[0] == 2


def test_if_empty_skips_a_store_that_holds_articles(
    import_records: ImportRecords, settings: Settings
) -> None:
    assert import_records([record(1), record(2)]).code == 0
    run = import_records([record(3), record(1, title="لن يظهر", updated=LATER)], "--if-empty")
    assert run.code == 0
    assert "already holds 2 articles; nothing imported" in run.out
    assert stored(settings)[0] == 2
    assert title_of(settings, "t-00001") == record(1)["title"]


def test_a_hostile_id_cannot_fake_report_lines(import_records: ImportRecords) -> None:
    bad = record(1, id="x\nline 9 (id y): title: fake\ud800", published="yesterday")
    run = import_records([json.dumps(bad)])  # ASCII escapes: the lone surrogate stays encodable
    assert run.code == 1
    lines = run.err.splitlines()
    assert [line.split(" ", 2)[:2] for line in lines] == [["line", "1"]] * 2  # id, published
    assert all("\\n" in line and "\\ud800" in line for line in lines)


def test_validation_in_worker_processes_reports_in_file_order(
    import_records: ImportRecords, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    """Chunks are checked by worker processes; problems still come in line order."""
    monkeypatch.setattr("feeds.ingest.sources.jsonl.CHUNK_LINES", 7)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    records: list[Any] = [record(i) for i in range(40)]
    records[9] = record(9, published="2026-11-01")  # line 10
    records[30] = record(30, title="\x00عنوان")  # line 31: a warning
    records[33] = record(33, categories=["nope"])  # line 34
    run = import_records(records, "--skip-invalid")
    assert run.code == 1
    lines = run.err.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "line 10 (id t-00009)",
        "warning",
        "line 34 (id t-00033)",
    ]
    assert "line 31 (id t-00030): title: removed 1 character" in lines[1]
    assert "added 38, updated 0, unchanged 0, stale 0, rejected 2" in run.out


def test_a_lead_image_keeps_its_alternative_text_and_pixels(
    import_records: ImportRecords, settings: Settings
) -> None:
    image = {
        "url": "https://news.example/media/a.jpg",
        "type": "image/jpeg",
        "alt": "<b>المنتخب</b> يرفع الكأس",  # plain text, as titles: the markup goes
        "width": 1200,
        "height": 675,
    }  # no length: readers do without it
    run = import_records([record(1, image=image), record(2, image={**image, "alt": "  "})])
    assert run.code == 0, run.err
    articles = stored(settings, ["t-00001", "t-00002"])[1]
    first, second = articles["t-00001"], articles["t-00002"]
    assert first is not None and first.image is not None
    assert (first.image.alt, first.image.width, first.image.height) == (
        "المنتخب يرفع الكأس",
        1200,
        675,
    )
    assert first.image.length is None
    assert second is not None and second.image is not None and second.image.alt is None
