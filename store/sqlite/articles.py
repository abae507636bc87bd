"""The one write path: every change to articles goes through these functions.

They run on the store's single writer connection, inside ``BEGIN IMMEDIATE``,
and bump the version of every feed a change touches (the feeds an article
leaves as well as those it joins) and queue its change in the outbox for
every registered sink, in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from store.errors import StoreConflict
from store.sqlite import outbox
from store.sqlite.connection import transaction
from store.sqlite.rows import ARTICLE_COLUMNS, prepare
from store.types import BREAKING_FEED, Article, Outcome, Prepared, to_us

_COLUMN_NAMES = [c.strip() for c in ARTICLE_COLUMNS.split(",")]
_UPSERT_ARTICLE = f"""
    INSERT INTO articles (pk, {ARTICLE_COLUMNS})
    VALUES (?, {", ".join("?" * len(_COLUMN_NAMES))})
    ON CONFLICT (id) DO UPDATE SET
        {", ".join(f"{c} = excluded.{c}" for c in _COLUMN_NAMES)}
"""
_BUMP_VERSION = """
    INSERT INTO feed_versions (feed, version, modified_us) VALUES (?, 1, ?)
    ON CONFLICT (feed) DO UPDATE SET
        version = version + 1,
        modified_us = max(modified_us, excluded.modified_us)
"""
_CHUNK = 500  # ids per IN (...) lookup, well under SQLite's variable limit


def put_articles(
    conn: sqlite3.Connection,
    articles: Sequence[Article],
    now: datetime,
    expected: Mapping[str, frozenset[str] | None] | None = None,
) -> list[Outcome]:
    """Add or replace ``articles`` in one transaction (see :func:`put_prepared`)."""
    return put_prepared(conn, [prepare(a) for a in articles], now, expected)


def put_prepared(
    conn: sqlite3.Connection,
    articles: Sequence[Prepared],
    now: datetime,
    expected: Mapping[str, frozenset[str] | None] | None = None,
) -> list[Outcome]:
    """Add or replace articles in one transaction; the outcome of each, in order.

    An identical record is unchanged; one whose ``updated`` is older than the
    stored one's is stale and kept out; any other replaces the stored article.
    Within one batch, a later record with the same id sees the earlier one.
    Decisions are made first and written with one ``executemany`` per
    statement: a batch costs a handful of statements, not several per article.

    ``expected`` maps ids to the feeds the caller saw them in (None: absent)
    when it checked permissions; if any differs now, :class:`StoreConflict`
    is raised and nothing is written.
    """
    outcomes: list[Outcome] = []
    with transaction(conn):
        stored = _stored_state(conn, {a.id for a in articles} | set(expected or ()))
        _check_expected(stored, expected)
        (next_pk,) = conn.execute("SELECT coalesce(max(pk), 0) + 1 FROM articles").fetchone()
        written: dict[int, Prepared] = {}  # by pk: the last version of each article
        replaced: set[int] = set()  # pks whose old feed entries go
        touched: set[str] = set()
        for article in articles:
            previous = stored.get(article.id)
            if previous is None:
                pk, outcome = next_pk, Outcome.ADDED
                next_pk += 1
            else:
                pk, old_digest, old_updated_us, old_feeds = previous
                if old_digest == article.digest:
                    outcomes.append(Outcome.UNCHANGED)
                    continue
                if article.updated_us < old_updated_us:
                    outcomes.append(Outcome.STALE)
                    continue
                outcome = Outcome.UPDATED
                touched.update(old_feeds)
                if pk not in written:
                    replaced.add(pk)
            touched.update(article.feeds)
            written[pk] = article
            stored[article.id] = (pk, article.digest, article.updated_us, article.feeds)
            outcomes.append(outcome)
        conn.executemany(_UPSERT_ARTICLE, [(pk, *a.row) for pk, a in written.items()])
        conn.executemany(
            "DELETE FROM feed_entries WHERE article = ?", [(pk,) for pk in sorted(replaced)]
        )
        conn.executemany(
            "INSERT INTO feed_entries (feed, published_us, article, expires_us)"
            " VALUES (?, ?, ?, ?)",
            [
                (feed, published_us, pk, expires_us)
                for pk, a in written.items()
                for feed, published_us, expires_us in a.entries
            ],
        )
        bump(conn, touched, now)
    return outcomes


def delete_article(
    conn: sqlite3.Connection,
    article_id: str,
    now: datetime,
    expected: frozenset[str] | None = None,
) -> bool:
    """Remove an article from the store and every feed; whether it existed.

    With ``expected`` (the feeds the caller saw it in), raise
    :class:`StoreConflict` rather than delete an article that changed since.
    """
    with transaction(conn):
        if expected is not None:
            _check_expected(_stored_state(conn, {article_id}), {article_id: expected})
        row = conn.execute(
            "DELETE FROM articles WHERE id = ? RETURNING feeds", (article_id,)
        ).fetchone()
        if row is None:
            return False
        bump(conn, json.loads(row[0]), now)
    return True


def _check_expected(
    stored: Mapping[str, tuple[int, str, int, frozenset[str]]],
    expected: Mapping[str, frozenset[str] | None] | None,
) -> None:
    for article_id, feeds in (expected or {}).items():
        found = stored.get(article_id)
        if (found[3] if found else None) != feeds:
            raise StoreConflict(article_id)


def _stored_state(
    conn: sqlite3.Connection, ids: set[str]
) -> dict[str, tuple[int, str, int, frozenset[str]]]:
    """pk, digest, updated and feeds of the stored articles among ``ids``."""
    state: dict[str, tuple[int, str, int, frozenset[str]]] = {}
    id_list = list(ids)
    for start in range(0, len(id_list), _CHUNK):
        chunk = id_list[start : start + _CHUNK]
        rows = conn.execute(
            "SELECT id, pk, digest, updated_us, feeds FROM articles "
            f"WHERE id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        for id_, pk, row_digest, updated_us, feeds in rows:
            state[id_] = (pk, row_digest, updated_us, frozenset(json.loads(feeds)))
    return state


def bump(conn: sqlite3.Connection, feeds: Iterable[str], now: datetime) -> None:
    """New versions for ``feeds``, a change queued for each registered sink, old expiries purged.

    Expired breaking entries are deleted here so that the breaking feed's
    index range holds only live rows; they already left the feed when their
    time came (the feed query filters them), so this changes nothing visible.
    """
    modified = to_us(now)
    ordered = sorted(feeds)
    conn.executemany(_BUMP_VERSION, [(feed, modified) for feed in ordered])
    outbox.queue_in_transaction(conn, None, ordered, modified)
    conn.execute(
        "DELETE FROM feed_entries WHERE feed = ? AND expires_us <= ?", (BREAKING_FEED, modified)
    )
