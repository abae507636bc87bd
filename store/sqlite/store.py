"""The embedded store: one SQLite file in WAL mode.

Reads go through an aiosqlite connection opened read-only; every write (the
articles' in :mod:`store.sqlite.articles`, the outbox's in
:mod:`store.sqlite.outbox`) goes through one writer connection on its own
thread (as datasette does), with ``BEGIN IMMEDIATE``, so a process's writes
never contend with each other, only with other processes'.

:class:`~store.sqlite.watch.CommitWatch` answers "has anyone committed since
I last looked?" with ``PRAGMA data_version``, which changes when any other
connection, in any process, commits: that is how every server worker
notices an import or an API write on its very next request.

A store knows its file: :meth:`SQLiteStore.open` refuses, before writing
anything, a file that is not a nashra store (see
:func:`store.sqlite.schema.identify`), and the open store notices when its
file is deleted or replaced under it (see :meth:`SQLiteStore.check_file`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import aiosqlite

from store.clock import Clock, system_clock, utc_now
from store.errors import StoreError, StoreFileLost
from store.protocol import StagedImport, Store
from store.sqlite import articles as writes
from store.sqlite import backup, outbox, staging, sync
from store.sqlite.connection import connect
from store.sqlite.queries import FEED_QUERY, FEED_TIMES_QUERY
from store.sqlite.rows import ARTICLE_COLUMNS, Row, article_from_row, prepare
from store.sqlite.schema import identify, migrate
from store.sqlite.watch import CommitWatch
from store.types import (
    Article,
    Claim,
    FeedTimes,
    Hold,
    Outcome,
    Prepared,
    SyncCursor,
    from_us,
    to_us,
)

T = TypeVar("T")


class SQLiteStore:
    """Articles, feed versions and the outbox in one SQLite file. Open with :meth:`open`."""

    def __init__(
        self,
        path: Path,
        writer: sqlite3.Connection,
        reader: aiosqlite.Connection,
        watcher: CommitWatch,
        store_id: str,
        created: datetime,
        clock: Clock,
        file_id: tuple[int, int],
    ) -> None:
        self.path = path
        self._file_id = file_id
        self._store_id = store_id
        self._created = created
        self._clock = clock
        self._writer = writer
        self._write_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nashra-writer")
        self._reader = reader
        self._watcher = watcher

    @classmethod
    async def open(cls, path: Path, *, clock: Clock = system_clock) -> SQLiteStore:
        """Open (creating and migrating if needed) the store at ``path``.

        Every write is stamped from ``clock``, and so is a new store's
        creation: the app and its tests share one clock with the store.

        Safe while other processes open the same store, new or not (see
        :func:`store.sqlite.schema.migrate`).
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # a new store's directory, as mkdir -p
            writer = await asyncio.to_thread(_open_writer, path, utc_now(clock))
        except (sqlite3.Error, OSError, StoreError) as error:
            raise StoreError(f"cannot open the store {path}: {_describe(error)}") from error
        reader: aiosqlite.Connection | None = None
        watch_conn: sqlite3.Connection | None = None
        try:
            file_id = _file_id(path)  # the file the writer has open: SQLite keeps its inode alive
            meta = dict(writer.execute("SELECT key, value FROM meta").fetchall())
            store_id, created = meta["store_id"], datetime.fromisoformat(meta["created"])
            reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            watch_conn = connect(path, readonly=True)
            watcher = CommitWatch(watch_conn)
        except (sqlite3.Error, OSError, StoreError, KeyError, ValueError) as error:
            if watch_conn is not None:
                watch_conn.close()
            if reader is not None:
                await reader.close()
            writer.close()
            raise StoreError(f"cannot open the store {path}: {_describe(error)}") from error
        return cls(path, writer, reader, watcher, store_id, created, clock, file_id)

    @property
    def store_id(self) -> str:
        """A random id made when the store was created: part of every ETag."""
        return self._store_id

    @property
    def created(self) -> datetime:
        """When the store was created (to the second): the change time of a feed never written."""
        return self._created

    @property
    def preparer(self) -> Callable[[Article], Prepared]:
        """:func:`store.sqlite.rows.prepare`: readies an article for :meth:`put_prepared`.

        Module-level, so ``nashra import`` runs it in its validation worker
        processes and the single writer only runs SQL.
        """
        return prepare

    async def close(self) -> None:
        await self._reader.close()
        self._watcher.close()
        loop = asyncio.get_running_loop()  # not _run_write: a store whose file went still closes
        await loop.run_in_executor(self._write_thread, self._writer.close)
        self._write_thread.shutdown()

    # -- reads ---------------------------------------------------------------

    def watch(self) -> CommitWatch:
        """A commit watch of its own, for a consumer other than the feed cache."""
        return CommitWatch(connect(self.path, readonly=True))

    def changed(self) -> bool:
        """Whether any other connection has committed since the last call (a few µs)."""
        return self._watcher.changed()

    async def feed_times(self, now: datetime) -> dict[str, FeedTimes]:
        """Every feed's version and self-timed changes around ``now``; unwritten feeds absent."""
        rows = await self._read(FEED_TIMES_QUERY, (to_us(now),))
        times = {}
        for feed, version, modified_us, passed_us, next_published, next_expiry in rows:
            upcoming = [t for t in (next_published, next_expiry) if t is not None]
            times[feed] = FeedTimes(
                feed, version, modified_us, passed_us or None, min(upcoming) if upcoming else None
            )
        return times

    async def feed_articles(self, feed: str, limit: int, now: datetime) -> list[Article]:
        """The newest ``limit`` articles of ``feed`` published by ``now``, newest first."""
        rows = await self._read(FEED_QUERY, (feed, to_us(now), limit))
        return [article_from_row(row) for row in rows]

    async def get_article(self, article_id: str) -> Article | None:
        rows = await self._read(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)
        )
        return article_from_row(rows[0]) if rows else None

    async def ping(self) -> None:
        """Raise :class:`StoreError` unless the store's file is still there and answers a query."""
        self.check_file()
        await self._read("SELECT 1 FROM meta LIMIT 1", ())

    def check_file(self) -> None:
        """Raise :class:`StoreFileLost` if the store's path no longer names the file opened.

        One ``stat`` of the path (about a microsecond), compared by device and
        inode with the file opened: deleted, or replaced by another file (a
        restored backup, a careless ``mv``), the connections still reach the
        old one, which no later start will find. Run before and after every
        write and by :meth:`ping`; reads are not checked: they keep answering
        from what the open connections see.
        """
        try:
            found = _file_id(self.path)
        except FileNotFoundError:
            raise StoreFileLost(
                f"the store file {self.path} was deleted while the server had it open;"
                " writes are refused: restore the file and restart the server"
            ) from None
        except OSError as error:
            raise StoreFileLost(f"the store file {self.path} cannot be seen: {error}") from error
        if found != self._file_id:
            raise StoreFileLost(
                f"the store file {self.path} was replaced by another file while the server"
                " had it open; writes are refused: restart the server to open the new file"
            )

    async def backup(self, target: Path) -> None:
        """A consistent copy of the store, as of the last commit, in the new file ``target``."""
        await asyncio.to_thread(backup.backup, self.path, target)

    async def count_articles(self) -> int:
        rows = await self._read("SELECT count(*) FROM articles", ())
        return int(rows[0][0])

    async def article_ids(self, prefix: str) -> list[str]:
        """The ids of the stored articles that start with ``prefix``, sorted."""
        rows = await self._read(
            "SELECT id FROM articles WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id", (prefix,)
        )
        return [str(row[0]) for row in rows]

    async def sync_cursors(self) -> list[SyncCursor]:
        """Every sync's cursor, by source."""
        return [sync.cursor_from_row(row) for row in await self._read(sync.CURSORS, ())]

    # -- writes --------------------------------------------------------------

    async def put_synced(
        self, articles: Sequence[Article], removed: Sequence[str], cursor: SyncCursor
    ) -> tuple[list[Outcome], int]:
        """A sync's page, its removals and its cursor in one transaction (:mod:`.sync`)."""
        now = utc_now(self._clock)
        return await self._run_write(
            lambda conn: sync.put_synced(conn, articles, removed, cursor, now)
        )

    async def put_articles(
        self,
        articles: Sequence[Article],
        expected: Mapping[str, frozenset[str] | None] | None = None,
    ) -> list[Outcome]:
        """Add or replace articles in one transaction (see :mod:`store.sqlite.articles`)."""
        now = utc_now(self._clock)
        return await self._run_write(
            lambda conn: writes.put_articles(conn, articles, now, expected)
        )

    async def put_prepared(self, articles: Sequence[Prepared]) -> list[Outcome]:
        """Like :meth:`put_articles`, for articles readied by :attr:`preparer`."""
        now = utc_now(self._clock)
        return await self._run_write(lambda conn: writes.put_prepared(conn, articles, now))

    async def delete_article(self, article_id: str, expected: frozenset[str] | None = None) -> bool:
        """Delete an article (see :func:`store.sqlite.articles.delete_article`)."""
        now = utc_now(self._clock)
        return await self._run_write(
            lambda conn: writes.delete_article(conn, article_id, now, expected)
        )

    async def start_import(self) -> StagedImport:
        """Start an import (see :mod:`store.sqlite.staging`): its articles stay invisible
        until :meth:`SQLiteImport.publish`."""
        try:
            lease = await asyncio.to_thread(staging.ImportLease, self.path)
        except (OSError, sqlite3.Error) as error:
            raise StoreError(
                f"cannot start an import in {self.path}: {_describe(error)}"
            ) from error
        return SQLiteImport(self, lease)

    # -- the outbox: "feed X changed", once per sink -------------------------

    async def register_sink(self, sink: str) -> None:
        """From now on, every write queues a change per touched feed for ``sink``."""
        await self._run_write(lambda conn: outbox.register(conn, sink))

    async def claim_changes(
        self, sink: str, now: datetime, lease: float, hold: Hold | None = None
    ) -> list[Claim]:
        """The feeds whose change is due for ``sink``, each leased for ``lease`` seconds.

        A lease keeps other worker processes from sending the same change;
        one not finished in time is due again when it ends. With ``hold``,
        a feed whose change of ``hold.sink`` is pending waits (see :class:`Hold`).
        """
        return await self._run_write(lambda conn: outbox.claim(conn, sink, to_us(now), lease, hold))

    async def change_sent(self, sink: str, feed: str, claimed_at: datetime, lease: float) -> None:
        """Forget a claimed change, unless a newer one was queued meanwhile.

        ``claimed_at`` and ``lease`` are those given to :meth:`claim_changes`.
        """
        await self._run_write(lambda conn: outbox.sent(conn, sink, feed, to_us(claimed_at), lease))

    async def change_failed(
        self,
        sink: str,
        feed: str,
        claimed_at: datetime,
        lease: float,
        retry_at: datetime,
        error: str,
    ) -> None:
        """Count a failed attempt; the change is due again at ``retry_at``."""
        await self._run_write(
            lambda conn: outbox.failed(
                conn, sink, feed, to_us(claimed_at), lease, to_us(retry_at), error
            )
        )

    async def next_change_due(self, sink: str, hold: Hold | None = None) -> datetime | None:
        """When ``sink``'s soonest queued change is due, if any, leaving out those held."""
        rows = await self._read(outbox.NEXT_DUE, (sink, *outbox.hold_parameters(hold)))
        return from_us(int(rows[0][0])) if rows and rows[0][0] is not None else None

    async def queue_changes(self, sink: str, feeds: Sequence[str], due: datetime) -> None:
        """Queue changes that come by time, not by a write (an embargo ending).

        Only for a registered sink: an unregistered one has no outbox.
        """
        await self._run_write(lambda conn: outbox.queue(conn, sink, feeds, to_us(due)))

    # -- internals -----------------------------------------------------------

    async def _read(self, sql: str, params: tuple[object, ...]) -> list[Row]:
        try:
            rows = await self._reader.execute_fetchall(sql, params)
            return [tuple(row) for row in rows]  # tuples already (no row factory): not copied
        except sqlite3.Error as error:
            raise StoreError(f"reading the store {self.path} failed: {error}") from error

    async def _run_write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` on the writer's thread, between two looks at the file.

        Before: nothing is written to a file that is gone. After: a write that
        committed while the file went is not acknowledged, as it is lost.
        """

        def checked(conn: sqlite3.Connection) -> T:
            self.check_file()
            result = work(conn)
            self.check_file()
            return result

        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._write_thread, checked, self._writer)
        except sqlite3.Error as error:
            raise StoreError(f"writing to the store {self.path} failed: {error}") from error


class SQLiteImport:
    """An import staged in a file beside :class:`SQLiteStore`'s; see :mod:`store.sqlite.staging`."""

    def __init__(self, store: SQLiteStore, lease: staging.ImportLease) -> None:
        self._store = store
        self._lease = lease

    @property
    def stager(self) -> staging.Stager:
        return staging.Stager(str(self._store.path), str(self._lease.staging_path))

    async def publish(self) -> dict[Outcome, int]:
        """One transaction makes the import visible; its staging file is removed afterwards.

        The transaction runs on the writer's thread, which a cancellation (an
        interrupted command) cannot stop: it commits or not as a whole. So a
        cancellation meanwhile waits for it and, if it committed, is taken
        back and the import's counts returned: the import is published, and
        says so. The staging file goes once the writer is done with it.
        """
        store, lease = self._store, self._lease
        clock = store._clock
        writing = asyncio.ensure_future(
            store._run_write(
                lambda conn: staging.publish(conn, lease.staging_path, lambda: utc_now(clock))
            )
        )
        try:
            return await asyncio.shield(writing)
        except asyncio.CancelledError:
            counts = await writing  # raises its own error if it did not commit
            if (current := asyncio.current_task()) is not None:
                current.uncancel()
            return counts
        finally:  # published or not, the import is over; a file left behind goes at any start
            if writing.done():
                lease.release()

    async def discard(self) -> None:
        """Forget the staged articles: remove the staging file."""
        self._lease.release()


def _open_writer(path: Path, now: datetime) -> sqlite3.Connection:
    _identify_file(path)  # before the writer switches the file to WAL or migrates it
    _check_writable(path)
    conn = connect(path, readonly=False)
    try:
        migrate(conn, now)
    except BaseException:
        conn.close()
        raise
    # Leftovers are invisible: a start that cannot remove them (a full disk) still serves,
    # and the next start tries again.
    with contextlib.suppress(OSError):
        staging.remove_dead_imports(path)
    return conn


def _identify_file(path: Path) -> None:
    """Refuse, touching nothing, a file that exists and is not a nashra store this code reads.

    Read as ``immutable``: SQLite then takes no lock and makes no ``-wal`` or
    ``-shm`` file beside it (a plain read-only connection makes both for a
    WAL file, and cannot open one in a read-only directory). It reads the main
    file only, so it may see an older commit than the ``-wal`` holds: never a
    wrong refusal (every commit of a nashra store passes), and what it cannot
    see :func:`~store.sqlite.schema.migrate` sees under its lock. Should that
    unlocked read meet a page being checkpointed, it is read again, locked.
    """
    try:
        if path.stat().st_size == 0:
            return  # a new store; SQLite writes an empty file's header on its first write
    except FileNotFoundError:
        return
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        ) as conn:
            identify(conn)
    except sqlite3.Error:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            identify(conn)


def _check_writable(path: Path) -> None:
    """Refuse a store nashra could open but not write, rather than fail at its first write.

    SQLite opens a read-only file read-only without a word, and an up-to-date
    store needs no write to open; a directory nashra cannot write stops it from
    making the ``-wal`` and ``-shm`` files beside the store.
    """
    for target, what in ((path, "the file"), (path.parent, f"its directory {path.parent}")):
        if target.exists() and not os.access(target, os.W_OK):
            raise StoreError(
                f"it is read-only ({what} is not writable); nashra writes the file and,"
                " beside it, its -wal and -shm files: make both the file and its directory"
                " writable"
            )


def _file_id(path: Path) -> tuple[int, int]:
    found = os.stat(path)
    return found.st_dev, found.st_ino


#: What to say, and to do, for the SQLite errors that stop a store from opening.
_ADVICE = {
    sqlite3.SQLITE_NOTADB: "it is not a SQLite database, or its header is corrupted;"
    " restore it from a backup, or point [store] path elsewhere",
    sqlite3.SQLITE_CORRUPT: "it is corrupted; restore it from a backup",
    sqlite3.SQLITE_READONLY: "it is read-only; nashra needs to write the file and, beside it,"
    " its -wal and -shm files: make both the file and its directory writable",
    sqlite3.SQLITE_CANTOPEN: "the file cannot be opened or created; check that its directory"
    " is writable and the file readable",
}


def _describe(error: Exception) -> str:
    """The error, and for a known SQLite failure what it means and what to do."""
    if isinstance(error, sqlite3.Error) and error.sqlite_errorcode is not None:
        advice = _ADVICE.get(error.sqlite_errorcode & 0xFF)
        if advice:
            return f"{advice} ({error})"
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    return str(error)


if TYPE_CHECKING:
    # mypy proves here that SQLiteStore implements the protocol feeds/ depends on
    _implements: type[Store] = SQLiteStore
