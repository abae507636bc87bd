"""Syncs from other systems: a page of changes and the cursor, written together.

A sync (``nashra sync wordpress``) writes a page of articles, the ids that
left public view, and where it now stands, in one transaction on the
writer: the cursor can never be ahead of the articles (a crash would skip
them) nor behind (harmless, but a second fetch of the same page). The
articles go through the one write path (:mod:`store.sqlite.articles`), so
feed versions and the outbox follow as for any API write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from store.sqlite import articles as writes
from store.sqlite.connection import transaction
from store.types import Article, Outcome, SyncCursor, from_us, to_us

CURSORS = "SELECT source, modified_us, checked_us FROM sync_cursors ORDER BY source"
_PUT_CURSOR = """
    INSERT INTO sync_cursors (source, modified_us, checked_us) VALUES (?, ?, ?)
    ON CONFLICT (source) DO UPDATE SET
        modified_us = excluded.modified_us, checked_us = excluded.checked_us
"""


def put_synced(
    conn: sqlite3.Connection,
    articles: Sequence[Article],
    removed: Sequence[str],
    cursor: SyncCursor,
    now: datetime,
) -> tuple[list[Outcome], int]:
    """Articles, removals and the cursor in one transaction; outcomes and removals made."""
    with transaction(conn):
        outcomes = writes.put_articles(conn, articles, now) if articles else []
        gone = sum(writes.delete_article(conn, article_id, now) for article_id in removed)
        conn.execute(
            _PUT_CURSOR,
            (
                cursor.source,
                to_us(cursor.modified) if cursor.modified else None,
                to_us(cursor.checked) if cursor.checked else None,
            ),
        )
    return outcomes, gone


def cursor_from_row(row: tuple[object, ...]) -> SyncCursor:
    source, modified_us, checked_us = row
    assert isinstance(source, str)
    return SyncCursor(
        source,
        from_us(modified_us) if isinstance(modified_us, int) else None,
        from_us(checked_us) if isinstance(checked_us, int) else None,
    )
