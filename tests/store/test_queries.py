"""The hot read queries read only their rows: their plans, from SQLite itself.

``EXPLAIN QUERY PLAN`` runs on the very query texts the store uses
(:mod:`store.sqlite.queries`), on the test's own connection to a store
filled through the store's write path.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from store.sqlite.queries import FEED_QUERY, FEED_TIMES_QUERY
from store.sqlite.store import SQLiteStore
from store.types import Article
from tests.support.builders import NOW, article
from tests.support.store import run


@pytest.mark.parametrize("feed", ["politics", "economy", "all", "breaking"])
def test_every_feed_query_reads_only_its_rows(tmp_path: Path, feed: str) -> None:
    path = _filled(tmp_path / "s.db", [article(i) for i in range(200)])
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("ANALYZE")  # plan with statistics, as a store in use has them
    steps = _plan(path, FEED_QUERY, (feed, 0, 50))
    text = " | ".join(steps)
    assert "TEMP B-TREE" not in text, text
    assert not any(step.startswith("SCAN") for step in steps), text
    assert any("SEARCH e USING PRIMARY KEY (feed=? AND published_us<?)" in s for s in steps), text


def test_the_feed_states_query_seeks_each_feed(tmp_path: Path) -> None:
    """Versions and self-timed changes of every feed: one pass over the small versions
    table, and index seeks, never scans, in the articles' feed entries."""
    path = _filled(tmp_path / "s.db", [article(i, breaking_until=NOW) for i in range(50)])
    steps = _plan(path, FEED_TIMES_QUERY, (0,))
    assert [s for s in steps if s.startswith("SCAN")] == ["SCAN v"], steps
    searches = [s for s in steps if s.startswith("SEARCH feed_entries")]
    assert len(searches) == 4, steps
    # a seek starts at the feed; a whole index walked for a min() is also named SEARCH
    assert all("(feed=? AND " in s for s in searches), steps
    assert not any("TEMP B-TREE" in s for s in steps), steps


def _filled(path: Path, articles: list[Article]) -> Path:
    async def put(store: SQLiteStore) -> None:
        await store.put_articles(articles)

    run(put, path)
    return path


def _plan(path: Path, query: str, params: tuple[object, ...]) -> list[str]:
    """SQLite's plan for ``query``, one detail line per step."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + query, params).fetchall()
    return [str(row[3]) for row in rows]
