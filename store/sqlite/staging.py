"""Imports that are all-or-nothing, even when killed: stage invisibly, publish at once.

An import writes each validated article into ``import_staging`` under its
import's id, in small transactions (one per chunk of records, from the
validation worker processes themselves), so API writes and other imports
wait milliseconds, never for the length of the import. No feed query reads
that table, and staging queues nothing in the outbox. Then
:func:`publish` makes the whole import visible in one transaction of a few
set-based statements, deciding each record's outcome exactly as
:func:`store.sqlite.articles.put_prepared` does, bumping each touched feed's
version and queuing its outbox change once.

Live or dead: each running import holds an exclusive ``flock`` on a lock
file beside the store, ``<store>-import-<id>``, from before its ``imports``
row is written until after the row is gone. The kernel drops the lock when
the process ends, however it ends (``kill -9``, out of memory; a power loss
ends them all), so an import whose lock can be taken is dead, whatever its
pid has become since. :func:`remove_dead_imports`, run whenever the store
is opened, deletes the staged rows of dead imports, and the rows of an
import that has no ``imports`` row (published, or discarded, before its
rows were deleted), a chunk per transaction.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from store.errors import StoreError
from store.sqlite.articles import bump
from store.sqlite.connection import connect, transaction
from store.sqlite.rows import ARTICLE_COLUMNS, json_entries
from store.types import Outcome, Prepared

_ARTICLE_NAMES = [c.strip() for c in ARTICLE_COLUMNS.split(",")]
_DECIDING = ["id", "digest", "updated_us", "feeds"]  # first, so deciding reads no long text
#: The article columns of ``import_staging``, in its order.
_STAGED_NAMES = _DECIDING + [c for c in _ARTICLE_NAMES if c not in _DECIDING]
_FROM_ROW = [_ARTICLE_NAMES.index(c) for c in _STAGED_NAMES]
_STAGE = f"""
    INSERT INTO import_staging (import, seq, entries, {", ".join(_STAGED_NAMES)})
    VALUES (?, ?, ?, {", ".join("?" * len(_STAGED_NAMES))})
"""
_DELETE_CHUNK = 2000  # staged rows deleted per transaction: the write lock is held briefly

# Outcomes as stored in the temporary decision table.
_CODES = {Outcome.ADDED: 1, Outcome.UPDATED: 2, Outcome.UNCHANGED: 3, Outcome.STALE: 4}
_OUTCOMES = {code: outcome for outcome, code in _CODES.items()}


@dataclass(frozen=True, slots=True)
class Stager:
    """Writes articles into one import's staging rows; picklable, for worker processes.

    Each call is one short transaction on a connection of its own (opened
    per call, about a millisecond: no connection outlives its use, in a
    worker or in the importing process). Staged rows need no fsync of their
    own (``synchronous = NORMAL``): a power loss that loses them loses an
    import that was not published anyway, and WAL keeps the file consistent.
    """

    path: str
    import_id: int

    def __call__(self, articles: Sequence[tuple[int, Prepared]]) -> None:
        """Stage ``articles``, each with its number in the import (unique, in source order)."""
        if not articles:
            return
        rows = [
            (self.import_id, seq, json_entries(a.entries), *[a.row[i] for i in _FROM_ROW])
            for seq, a in articles
        ]
        try:
            conn = connect(Path(self.path), readonly=False)
        except sqlite3.Error as error:
            raise StoreError(f"writing to the store {self.path} failed: {error}") from None
        try:
            conn.execute("PRAGMA synchronous = NORMAL")
            with transaction(conn):
                alive = conn.execute("SELECT 1 FROM imports WHERE id = ?", (self.import_id,))
                if alive.fetchone() is None:  # its importer died and was cleaned up meanwhile
                    raise StoreError(f"import {self.import_id} is no longer registered")
                conn.executemany(_STAGE, rows)
        except sqlite3.Error as error:
            raise StoreError(f"writing to the store {self.path} failed: {error}") from None
        finally:
            conn.close()


class ImportLease:
    """One running import's id, registered in ``imports`` and held by its lock file."""

    def __init__(self, conn: sqlite3.Connection, path: Path, now: datetime) -> None:
        self.import_id = secrets.randbits(62)
        self.lock_path = lock_path(path, self.import_id)
        self._fd = _locked_file(self.lock_path)
        try:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO imports (id, pid, started) VALUES (?, ?, ?)",
                    (self.import_id, os.getpid(), now.isoformat()),
                )
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Remove the lock file and unlock it (once the ``imports`` row is gone)."""
        if self._fd < 0:
            return
        with contextlib.suppress(FileNotFoundError):
            self.lock_path.unlink()
        os.close(self._fd)
        self._fd = -1


def _locked_file(lock: Path) -> int:
    """A new file at ``lock``, locked before its name appears: its open descriptor.

    A store opened meanwhile sees no lock file, or a locked one, never an
    unlocked one it would take for a dead import's and remove. So the file
    is made and locked under a name with the pid in it (a cleaner removes
    one only once that process is gone), then linked into place (failing if
    the name exists), and the first name removed.
    """
    making = lock.with_name(f"{lock.name}.{os.getpid()}.new")
    fd = os.open(making, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.link(making, lock)
    except BaseException:
        os.close(fd)
        raise
    finally:
        making.unlink()
    return fd


def lock_path(path: Path, import_id: int) -> Path:
    return path.with_name(f"{path.name}-import-{import_id}")


def publish(
    conn: sqlite3.Connection, import_id: int, clock: Callable[[], datetime]
) -> dict[Outcome, int]:
    """Make import ``import_id`` visible in one transaction; how many records had each outcome.

    The change is dated by ``clock`` once the write lock is held: a write
    that commits while this one waits for the lock is dated before it, so
    If-Modified-Since never hides the import behind it.

    Records are decided in source order against the stored articles as they
    are now (an API write since staging counts): identical, unchanged; an
    older ``updated``, stale; otherwise added or updated. Most ids occur once
    in an import and are decided by one ``INSERT … SELECT``; an id staged
    several times is folded record by record in Python, as a batch of
    :func:`~store.sqlite.articles.put_prepared` would, a later record seeing
    the earlier one. Decisions go to a temporary table (memory, not the
    store), then the winning rows are copied into ``articles`` and
    ``feed_entries``. The ``imports`` row goes in the same transaction: a
    kill right after the commit leaves staged rows that any later start
    deletes as leftovers.
    """
    repeated = _repeated_ids(conn, import_id)  # staged rows no longer change: no lock needed
    # Staged pages move from the WAL into the file first, without the write lock: read from
    # there, the copy below is faster, and the WAL starts over for it.
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS decided ("
        " seq INTEGER PRIMARY KEY, outcome INTEGER NOT NULL,"
        " applies INTEGER NOT NULL, old_pk INTEGER, rank INTEGER, feeds TEXT)"
    )
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS written (rank INTEGER PRIMARY KEY, seq INTEGER)")
    try:
        with transaction(conn):
            if conn.execute("SELECT 1 FROM imports WHERE id = ?", (import_id,)).fetchone() is None:
                raise StoreError(f"import {import_id} is not registered; nothing was published")
            _fold_repeated(conn, import_id, repeated)
            _decide_the_rest(conn, import_id)
            touched = _touched_feeds(conn)
            _write_articles(conn, import_id)
            bump(conn, touched, clock())
            counts = {
                _OUTCOMES[code]: count
                for code, count in conn.execute(
                    "SELECT outcome, count(*) FROM temp.decided GROUP BY outcome"
                )
            }
            conn.execute("DELETE FROM imports WHERE id = ?", (import_id,))
    finally:
        conn.execute("DELETE FROM temp.decided")
        conn.execute("DELETE FROM temp.written")
    return {outcome: counts.get(outcome, 0) for outcome in Outcome}


def _repeated_ids(conn: sqlite3.Connection, import_id: int) -> list[str]:
    rows = conn.execute(
        "SELECT id FROM import_staging WHERE import = ? GROUP BY id HAVING count(*) > 1",
        (import_id,),
    )
    return [id_ for (id_,) in rows]


def _fold_repeated(conn: sqlite3.Connection, import_id: int, ids: list[str]) -> None:
    """Decide the records of ids staged more than once, in order, each seeing the one before."""
    if not ids:
        return
    current: dict[str, tuple[int | None, str, int]] = {}  # id: stored pk, digest, updated_us
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for id_, pk, digest, updated_us in conn.execute(
            f"SELECT id, pk, digest, updated_us FROM articles WHERE id IN ({marks})", chunk
        ):
            current[id_] = (pk, digest, updated_us)
    decided: list[tuple[int, int, int, int | None, int | None, str | None]] = []
    last_written: dict[str, int] = {}  # id: index in decided of its latest written record
    first_written: dict[str, int] = {}  # id: seq of its first: a new article's pk comes then
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT seq, id, digest, updated_us, feeds FROM import_staging"
            f" WHERE import = ? AND id IN ({marks}) ORDER BY seq",
            [import_id, *chunk],
        )
        for seq, id_, digest, updated_us, feeds in rows:
            found = current.get(id_)
            if found is None:
                outcome, stored_pk = Outcome.ADDED, None
            else:
                stored_pk, old_digest, old_updated_us = found
                if old_digest == digest:
                    decided.append((seq, _CODES[Outcome.UNCHANGED], 0, None, None, None))
                    continue
                if updated_us < old_updated_us:
                    decided.append((seq, _CODES[Outcome.STALE], 0, None, None, None))
                    continue
                outcome = Outcome.UPDATED
            last_written[id_] = len(decided)
            first_written.setdefault(id_, seq)
            decided.append((seq, _CODES[outcome], 0, stored_pk, None, feeds))
            current[id_] = (stored_pk, digest, updated_us)
    for id_, index in last_written.items():  # only each id's last written version is stored
        seq, code, _, stored_pk, _, feeds = decided[index]
        decided[index] = (seq, code, 1, stored_pk, first_written[id_], feeds)
    conn.executemany(
        "INSERT INTO temp.decided (seq, outcome, applies, old_pk, rank, feeds)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        decided,
    )


def _decide_the_rest(conn: sqlite3.Connection, import_id: int) -> None:
    """Every record not decided yet, an id staged once, against the stored article.

    A written record's feeds go along (:func:`_touched_feeds` then reads no staged row).
    """
    conn.execute(
        f"""
        INSERT OR IGNORE INTO temp.decided (seq, outcome, applies, old_pk, feeds)
        SELECT seq, outcome, outcome IN (1, 2), CASE WHEN outcome = 2 THEN pk END,
            CASE WHEN outcome IN (1, 2) THEN feeds END
        FROM (
            SELECT s.seq, a.pk, s.feeds, CASE
                WHEN a.pk IS NULL THEN {_CODES[Outcome.ADDED]}
                WHEN a.digest = s.digest THEN {_CODES[Outcome.UNCHANGED]}
                WHEN s.updated_us < a.updated_us THEN {_CODES[Outcome.STALE]}
                ELSE {_CODES[Outcome.UPDATED]}
            END AS outcome
            FROM import_staging AS s LEFT JOIN articles AS a ON a.id = s.id
            WHERE s.import = ?
        )
        """,
        (import_id,),
    )


def _touched_feeds(conn: sqlite3.Connection) -> set[str]:
    """The feeds every written record joins, and those the articles it replaces leave."""
    rows = conn.execute(
        """
        SELECT DISTINCT f.value FROM temp.decided AS d, json_each(d.feeds) AS f
        WHERE d.outcome IN (1, 2)
        UNION
        SELECT DISTINCT f.value FROM temp.decided AS d
        JOIN articles AS a ON a.pk = d.old_pk, json_each(a.feeds) AS f
        WHERE d.applies AND d.old_pk IS NOT NULL
        """
    )
    return {feed for (feed,) in rows}


def _write_articles(conn: sqlite3.Connection, import_id: int) -> None:
    """Copy each id's winning record into ``articles`` and its feed entries into ``feed_entries``.

    A new article gets the next pk, as in ``put_prepared``; a replaced one
    keeps its pk and loses its old entries first. Rows are copied in the
    order their ids were first written (``rank``), so new articles' pks come
    in the order ``put_prepared`` gives them; ``CROSS JOIN`` keeps that
    order the loop's, so nothing is sorted (a sorter would hold every row).
    """
    conn.execute(
        "INSERT INTO temp.written (rank, seq)"
        " SELECT coalesce(rank, seq), seq FROM temp.decided WHERE applies"
    )
    conn.execute(
        "DELETE FROM feed_entries WHERE article IN"
        " (SELECT old_pk FROM temp.decided WHERE applies AND old_pk IS NOT NULL)"
    )
    conn.execute(
        f"""
        INSERT INTO articles ({ARTICLE_COLUMNS})
        SELECT {", ".join("s." + c for c in _ARTICLE_NAMES)}
        FROM temp.written AS w CROSS JOIN import_staging AS s ON s.import = ? AND s.seq = w.seq
        ORDER BY w.rank
        ON CONFLICT (id) DO UPDATE SET
            {", ".join(f"{c} = excluded.{c}" for c in _ARTICLE_NAMES)}
        """,
        (import_id,),
    )
    conn.execute(
        """
        INSERT INTO feed_entries (feed, published_us, article, expires_us)
        SELECT e.value ->> 0, e.value ->> 1, a.pk, e.value ->> 2
        FROM temp.decided AS d
        JOIN import_staging AS s ON s.import = ? AND s.seq = d.seq
        JOIN articles AS a ON a.id = s.id, json_each(s.entries) AS e
        WHERE d.applies
        """,
        (import_id,),
    )


def discard(conn: sqlite3.Connection, import_id: int) -> None:
    """Forget an import: its ``imports`` row, then its staged rows, a chunk at a time."""
    with transaction(conn):
        conn.execute("DELETE FROM imports WHERE id = ?", (import_id,))
    delete_staged(conn, import_id)


def delete_staged(conn: sqlite3.Connection, import_id: int) -> None:
    """Delete an import's staged rows, :data:`_DELETE_CHUNK` per transaction."""
    while True:
        with transaction(conn):
            deleted = conn.execute(
                "DELETE FROM import_staging WHERE import = ?1 AND seq IN"
                " (SELECT seq FROM import_staging WHERE import = ?1 LIMIT ?2)",
                (import_id, _DELETE_CHUNK),
            ).rowcount
        if deleted < _DELETE_CHUNK:
            return


def remove_dead_imports(conn: sqlite3.Connection, path: Path) -> None:
    """Delete what dead imports left: rows of imports whose lock file is not locked.

    A live import's lock cannot be taken and its rows are left alone; a
    dead one's lock file goes too, even once its ``imports`` row is gone (an
    import killed right after publishing). Runs when the store is opened;
    cheap when there is nothing to remove (a directory listing, two reads).
    """
    for making in path.parent.glob(f"{glob.escape(path.name)}-import-*.new"):
        pid = making.name.removesuffix(".new").rpartition(".")[2]
        if pid.isdigit() and not _alive(int(pid)):  # a start killed before its lock was in place
            making.unlink(missing_ok=True)
    registered = {import_id for (import_id,) in conn.execute("SELECT id FROM imports")}
    for import_id in registered | _locked_ids(path):
        with _lock_if_dead(lock_path(path, import_id)) as dead:
            if dead:
                discard(conn, import_id)
    for import_id in _staged_imports(conn):
        if conn.execute("SELECT 1 FROM imports WHERE id = ?", (import_id,)).fetchone() is None:
            delete_staged(conn, import_id)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs: a half-made lock file is unlocked, so its pid tells."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _locked_ids(path: Path) -> set[int]:
    """The import ids of the lock files beside the store (one may outlive its ``imports`` row)."""
    prefix = f"{path.name}-import-"
    return {
        int(name[len(prefix) :])
        for name in os.listdir(path.parent)
        if name.startswith(prefix) and name[len(prefix) :].isdigit()
    }


@contextlib.contextmanager
def _lock_if_dead(lock: Path) -> Iterator[bool]:
    """Whether the import of this lock file is dead; its lock held, and the file removed, if so."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        yield True  # never made, or removed after its import ended
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False  # its import holds it: alive
            return
        yield True
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
    finally:
        os.close(fd)


def _staged_imports(conn: sqlite3.Connection) -> list[int]:
    """The import ids that have staged rows: one index seek per import, not a scan."""
    found: list[int] = []
    after = -1  # ids are positive
    while True:
        row = conn.execute(
            "SELECT import FROM import_staging WHERE import > ? ORDER BY import LIMIT 1", (after,)
        ).fetchone()
        if row is None:
            return found
        after = row[0]
        found.append(after)
