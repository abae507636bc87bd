"""Every feed's bytes, for one fixed store state, against the files in ``tests/golden/``.

Refactoring must not change a byte a reader receives. This test builds a
store from the shipped demo articles and the test records (every language,
breaking, embargoed, expired, with and without summaries and images), pins
every time the bytes depend on, and compares each feed, in each format and
as its page (``.html``), the index page and the OPML list with the golden
copy. A deliberate change of output is made by running
``NASHRA_REGEN_GOLDEN=1 pytest tests/test_golden_feeds.py`` and committing
the new files with the change that explains them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from feeds.app import create_app
from feeds.cli import main
from feeds.config.loader import load_settings
from feeds.config.settings import WebSubOptions
from feeds.formats.registry import FORMATS, HTML_VIEW
from tests.support.builders import mixed_records, record, rfc3339

GOLDEN = Path(__file__).parent / "golden"
SHIPPED = Path(__file__).parent.parent / "config"
MOMENT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # when the store was last written
NOW = MOMENT + timedelta(minutes=1)  # when the feeds are served


def _records() -> list[dict[str, object]]:
    demo = [
        json.loads(line)
        for line in (SHIPPED / "demo-articles.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    extra = mixed_records(40)  # their categories are all in the shipped config too
    edge = [
        record(900, summary=None),  # an excerpt of the body stands in
        record(901, summary=None, content=None, image=None),  # a title-only flash
        record(902, "en", categories=["politics"], breaking=True,
               breaking_until=rfc3339(MOMENT - timedelta(hours=1), "+00:00")),
        record(903, breaking=True, breaking_until=rfc3339(MOMENT + timedelta(days=1), "+03:00")),
        record(904, published=rfc3339(MOMENT + timedelta(days=2), "+03:00"),
               updated=None),  # embargoed: absent
        record(905, title="iPhone 17 يصل إلى الأسواق"),  # RTL, starting with a Latin word
    ]  # fmt: skip
    return demo + extra + edge


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("golden")
    config = tmp / "nashra.toml"
    config.write_text((SHIPPED / "nashra.toml").read_text(encoding="utf-8"), encoding="utf-8")
    db = tmp / "nashra.db"
    articles = tmp / "articles.jsonl"
    articles.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in _records()) + "\n", encoding="utf-8"
    )
    assert main(["import", str(articles), "--config", str(config), "--db", str(db)]) == 0
    _pin_write_times(db)
    settings = dataclasses.replace(
        load_settings(config, db=db), websub=WebSubOptions(hub="https://hub.example/")
    )
    app = create_app(settings, clock=NOW.timestamp)
    paths = ["/", "/feeds.opml"] + [
        f"/feeds/{spec}.{ext}"
        for spec in app.specs
        for ext in (*(fmt.extension for fmt in FORMATS), HTML_VIEW.extension)
    ]
    with TestClient(app, base_url="https://news.example") as client:
        bodies = {}
        for path in paths:
            response = client.get(path, headers={"Accept-Encoding": "identity"})
            assert response.status_code == 200, path
            bodies[path] = response.content
    return bodies


def _pin_write_times(db: Path) -> None:
    """Every write as if made at :data:`MOMENT`: feed dates come from write times."""
    moment_us = int(MOMENT.timestamp()) * 1_000_000
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE feed_versions SET modified_us = ?", (moment_us,))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'created'", (MOMENT.isoformat(),))


def _golden_name(path: str) -> str:
    return "index.html" if path == "/" else path.removeprefix("/feeds/").removeprefix("/")


def test_every_feed_is_byte_identical_to_its_golden_copy(served: dict[str, bytes]) -> None:
    regenerate = os.environ.get("NASHRA_REGEN_GOLDEN") == "1"
    differing = []
    for path, body in served.items():
        golden = GOLDEN / _golden_name(path)
        if regenerate:
            golden.write_bytes(body)
        elif not golden.exists() or golden.read_bytes() != body:
            differing.append(path)
    assert differing == []
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(map(_golden_name, served))
