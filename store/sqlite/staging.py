"""Imports that are all-or-nothing, even when killed: stage invisibly, publish at once.

An import writes each validated article into a staging file of its own
beside the store, ``<store>-import-<id>.staged``, an SQLite database that
no feed query reads, in small transactions (one per chunk of records, from
the validation worker processes themselves). Staging takes no lock of the
store's: API writes and other imports never wait for it. Then
:func:`publish` attaches that file and makes the whole import visible in
one transaction of a few set-based statements, deciding each record's
outcome exactly as :func:`store.sqlite.articles.put_prepared` does,
bumping each touched feed's version and queuing its outbox change once.

A staging file needs no journal on disk and no fsync (``journal_mode =
MEMORY``, ``synchronous = OFF``): a crash or a power loss while staging
kills an import that was not published anyway, and the file goes with it.
The journal in memory still rolls back a transaction that fails (a full
disk), so the next worker's error is that one again, not a file left
malformed. Rows are written once (a WAL would write them twice), and
forgetting an import, published or not, is removing a file, not deleting
rows.

Live or dead: each running import holds an exclusive ``flock`` on a lock
file beside the store, ``<store>-import-<id>``, from before its staging
file is made until after it is removed. The kernel drops the lock when the
process ends, however it ends (``kill -9``, out of memory; a power loss
ends them all), so an import whose lock can be taken is dead, whatever its
pid has become since. :func:`remove_dead_imports`, run whenever the store
is opened, removes the staging files of dead imports.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import operator
import os
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from store.errors import StoreError
from store.sqlite.articles import bump
from store.sqlite.connection import BUSY_TIMEOUT, PAGE_SIZE, transaction
from store.sqlite.rows import ARTICLE_COLUMNS, json_entries
from store.types import Outcome, Prepared

_ARTICLE_NAMES = [c.strip() for c in ARTICLE_COLUMNS.split(",")]
_DECIDING = ["id", "digest", "updated_us", "feeds"]  # first, so deciding reads no long text
#: The article columns of a staging file's ``staged`` table, in its order.
_STAGED_NAMES = _DECIDING + [c for c in _ARTICLE_NAMES if c not in _DECIDING]
#: A prepared row's values in that order.
_STAGED_VALUES = operator.itemgetter(*[_ARTICLE_NAMES.index(c) for c in _STAGED_NAMES])
#: The staging file's one table: a record's number in the import, its feed entries (JSON), and
#: its article's columns; and the index that finds an id's records.
_STAGING_SCHEMA = (
    f"""
    CREATE TABLE staged (
        seq INTEGER PRIMARY KEY, entries TEXT NOT NULL, {", ".join(_STAGED_NAMES)}
    )
    """,
    "CREATE INDEX staged_by_id ON staged (id)",
)
_STAGE = f"""
    INSERT INTO staged (seq, entries, {", ".join(_STAGED_NAMES)})
    VALUES (?, ?, {", ".join("?" * len(_STAGED_NAMES))})
"""
_STAGING_SUFFIX = ".staged"

# Outcomes as stored in the temporary decision table.
_CODES = {Outcome.ADDED: 1, Outcome.UPDATED: 2, Outcome.UNCHANGED: 3, Outcome.STALE: 4}
_OUTCOMES = {code: outcome for outcome, code in _CODES.items()}


def _connect_staging(path: Path, *, create: bool) -> sqlite3.Connection:
    """A connection to a staging file, with no journal on disk and no fsync (module docstring)."""
    mode = "rwc" if create else "rw"  # a worker never makes a file a cleaner has removed
    conn = sqlite3.connect(
        f"file:{path}?mode={mode}", uri=True, isolation_level=None, timeout=BUSY_TIMEOUT
    )
    try:
        conn.execute("PRAGMA journal_mode = MEMORY")
        conn.execute("PRAGMA synchronous = OFF")
        if create:  # as a new store's: rows alike, pages alike (only a new file takes it)
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass(frozen=True, slots=True)
class Stager:
    """Writes articles into one import's staging file; picklable, for worker processes.

    Each call is one short transaction on a connection of its own (opened
    per call, well under a millisecond: no connection outlives its use). The
    store's path is only for messages.
    """

    store: str
    staging: str

    def __call__(self, articles: Sequence[tuple[int, Prepared]]) -> None:
        """Stage ``articles``, each with its number in the import (unique, in source order)."""
        if not articles:
            return
        rows = [(seq, json_entries(a.entries), *_STAGED_VALUES(a.row)) for seq, a in articles]
        try:
            conn = _connect_staging(Path(self.staging), create=False)
            with contextlib.closing(conn), transaction(conn):
                conn.executemany(_STAGE, rows)
        except sqlite3.Error as error:
            raise StoreError(f"writing to the store {self.store} failed: {error}") from None


class ImportLease:
    """One running import: its id, its lock file (held) and its staging file."""

    def __init__(self, path: Path) -> None:
        self.import_id = secrets.randbits(62)
        self.lock_path = lock_path(path, self.import_id)
        self.staging_path = staging_path(path, self.import_id)
        self._fd = _locked_file(self.lock_path)
        try:
            with contextlib.closing(_connect_staging(self.staging_path, create=True)) as conn:
                for statement in _STAGING_SCHEMA:
                    conn.execute(statement)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Remove the staging file, then the lock file, and unlock it.

        A file that cannot be removed (its directory made read-only meanwhile)
        is left for the next start to remove: the import is over either way.
        """
        if self._fd < 0:
            return
        try:
            for file in (self.staging_path, self.lock_path):
                with contextlib.suppress(OSError):
                    file.unlink(missing_ok=True)
        finally:
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


def staging_path(path: Path, import_id: int) -> Path:
    return path.with_name(f"{path.name}-import-{import_id}{_STAGING_SUFFIX}")


def publish(
    conn: sqlite3.Connection, staging: Path, clock: Callable[[], datetime]
) -> dict[Outcome, int]:
    """Make the import staged in ``staging`` visible in one transaction; each outcome's count.

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
    ``feed_entries``. The staging file is attached read-only, and only for
    this: nothing of it stays in the store.
    """
    conn.execute("ATTACH DATABASE ? AS staging", (f"file:{staging}?mode=ro",))
    try:
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS decided ("
            " seq INTEGER PRIMARY KEY, outcome INTEGER NOT NULL,"
            " applies INTEGER NOT NULL, old_pk INTEGER, rank INTEGER, feeds TEXT)"
        )
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS written (rank INTEGER PRIMARY KEY, seq INTEGER)"
        )
        repeated = _repeated_ids(conn)  # staged rows no longer change: no lock needed
        try:
            with transaction(conn):
                _fold_repeated(conn, repeated)
                _decide_the_rest(conn)
                touched = _touched_feeds(conn)
                _write_articles(conn)
                bump(conn, touched, clock())
                counts = {
                    _OUTCOMES[code]: count
                    for code, count in conn.execute(
                        "SELECT outcome, count(*) FROM temp.decided GROUP BY outcome"
                    )
                }
        finally:
            conn.execute("DELETE FROM temp.decided")
            conn.execute("DELETE FROM temp.written")
    finally:
        conn.execute("DETACH DATABASE staging")
    return {outcome: counts.get(outcome, 0) for outcome in Outcome}


def _repeated_ids(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT id FROM staging.staged GROUP BY id HAVING count(*) > 1")
    return [id_ for (id_,) in rows]


def _fold_repeated(conn: sqlite3.Connection, ids: list[str]) -> None:
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
            "SELECT seq, id, digest, updated_us, feeds FROM staging.staged"
            f" WHERE id IN ({marks}) ORDER BY seq",
            chunk,
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


def _decide_the_rest(conn: sqlite3.Connection) -> None:
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
            FROM staging.staged AS s LEFT JOIN articles AS a ON a.id = s.id
        )
        """
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


def _write_articles(conn: sqlite3.Connection) -> None:
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
        FROM temp.written AS w CROSS JOIN staging.staged AS s ON s.seq = w.seq
        ORDER BY w.rank
        ON CONFLICT (id) DO UPDATE SET
            {", ".join(f"{c} = excluded.{c}" for c in _ARTICLE_NAMES)}
        """
    )
    conn.execute(
        """
        INSERT INTO feed_entries (feed, published_us, article, expires_us)
        SELECT e.value ->> 0, e.value ->> 1, a.pk, e.value ->> 2
        FROM temp.decided AS d
        JOIN staging.staged AS s ON s.seq = d.seq
        JOIN articles AS a ON a.id = s.id, json_each(s.entries) AS e
        WHERE d.applies
        """
    )


def remove_dead_imports(path: Path) -> None:
    """Remove what dead imports left: staging files whose import's lock file is not locked.

    A live import's lock cannot be taken and its file is left alone; a dead
    one's lock file goes too, even once its staging file is gone (an import
    killed right after publishing). Only files that are what nashra makes go:
    a lock file is empty, a staging file empty or an SQLite file; another
    file that happens to be named like one (``news.db-import-2024``, a copy
    of the store) is left alone. Runs when the store is opened; cheap (a
    directory listing).
    """
    for making in path.parent.glob(f"{glob.escape(path.name)}-import-*.new"):
        pid = making.name.removesuffix(".new").rpartition(".")[2]
        # a start killed before its lock was in place
        if pid.isdigit() and not _alive(int(pid)) and _is_empty(making):
            making.unlink(missing_ok=True)
    for import_id in _import_ids(path):
        with _lock_if_dead(lock_path(path, import_id)) as dead:
            staging = staging_path(path, import_id)
            if dead and _is_staging_file(staging):
                staging.unlink(missing_ok=True)


def _is_empty(file: Path) -> bool:
    try:
        return file.stat().st_size == 0
    except FileNotFoundError:
        return False


def _is_staging_file(file: Path) -> bool:
    """Whether ``file`` is empty (just made) or an SQLite database, as staging files are."""
    try:
        with file.open("rb") as opened:
            return opened.read(len(_SQLITE_HEADER)) in (b"", _SQLITE_HEADER)
    except FileNotFoundError:
        return False


_SQLITE_HEADER = b"SQLite format 3\x00"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs: a half-made lock file is unlocked, so its pid tells."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _import_ids(path: Path) -> set[int]:
    """The import ids of the lock and staging files beside the store."""
    prefix, suffix = re.escape(f"{path.name}-import-"), re.escape(_STAGING_SUFFIX)
    name = re.compile(rf"{prefix}(\d+)(?:{suffix})?")
    return {int(found[1]) for found in map(name.fullmatch, os.listdir(path.parent)) if found}


@contextlib.contextmanager
def _lock_if_dead(lock: Path) -> Iterator[bool]:
    """Whether the import of this lock file is dead; its lock held, and the file removed, if so.

    An import makes its lock file before its staging file and removes it
    after: a staging file without one is a dead import's. A file by that name
    that is not empty is not a lock file: its "import" counts as alive.
    """
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        yield True
        return
    try:
        if os.fstat(fd).st_size != 0:
            yield False
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False  # its import holds it: alive
            return
        yield True
        lock.unlink(missing_ok=True)
    finally:
        os.close(fd)
