"""The import pipeline: raw records in, articles in the store, a summary out.

Whatever the source (:mod:`feeds.ingest.sources`), records are never held
in memory whole: chunks of them go to worker processes, which decode,
validate and clean each record and stage the valid articles themselves
(:class:`~store.protocol.StagedImport`: where no feed sees them, a short
transaction per chunk), so validation and writing overlap on every core.
Once every record is checked, and only if none was invalid (or
``skip_invalid`` is given), one transaction publishes the whole import;
otherwise the staged articles are discarded. So an import is all or nothing,
whether it is refused, fails (a full disk) or is killed: a killed one
leaves only an invisible staging file, removed when the store is next opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Generic, TypeVar

from tqdm import tqdm

from feeds.config.settings import Settings
from feeds.ingest.records import Problem, RecordError, validate_record
from feeds.ingest.source import Chunk, Source
from feeds.orphans import die_with_parent
from store.errors import NashraError, StoreError
from store.protocol import StagedImport, Store
from store.types import Article, Outcome, Prepared

MAX_WORKERS = 8
PROGRESS_MIN_BYTES = 4 << 20  # a progress bar for sources of 4 MiB and more, on a terminal

Raw = TypeVar("Raw")


@dataclass(frozen=True, slots=True)
class ImportSummary:
    added: int
    updated: int
    unchanged: int
    stale: int
    rejected: int
    seconds: float

    @property
    def written(self) -> int:
        return self.added + self.updated + self.unchanged + self.stale

    def line(self) -> str:
        rate = (self.written + self.rejected) / self.seconds if self.seconds else 0.0
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"stale {self.stale}, rejected {self.rejected}, "
            f"{self.seconds:.2f} s, {rate:,.0f} articles/s"
        )


def describe(where: str, record_id: str | None, problem: Problem) -> str:
    """``line 3 (id a-1): title: …``: where a problem is, for a person to find it.

    Ids and field names come from the source: one with a control character or
    a lone surrogate is shown as a Python literal, so it can neither fake
    another line of the report nor break the terminal's encoding.
    """
    place = where + (f" (id {_shown(record_id)})" if record_id else "")
    return f"{place}: {_shown(problem.field) or 'record'}: {problem.message}"


def _shown(text: str | None) -> str:
    if not text or text.isprintable():
        return text or ""
    return ascii(text)


async def import_records(
    source: Source[Raw],
    store: Store,
    settings: Settings,
    *,
    skip_invalid: bool,
    report: Callable[[str], None],
    workers: Workers | None = None,
) -> ImportSummary:
    """Import every record of ``source``; every problem and warning goes to ``report``.

    The ``workers`` processes (see :func:`validation_workers`) validate, clean
    and stage the records; without them, or for a source that fits in one
    chunk, this process does. Any error (a
    :class:`~store.errors.StoreError`, a worker killed, an interruption)
    discards the import. Validation runs without awaiting, so an
    interruption (the task cancelled on SIGINT) is looked for after each
    chunk, and once more before publishing.
    """
    started = time.perf_counter()
    current = asyncio.current_task()
    staged = await store.start_import()
    try:
        rejected = _validate(
            source, settings, store.preparer, staged, report, workers, lambda: _cancelled(current)
        )
        if rejected and not skip_invalid:
            await staged.discard()
            return ImportSummary(0, 0, 0, 0, rejected, time.perf_counter() - started)
        if _cancelled(current):
            raise asyncio.CancelledError
    except BaseException as error:
        await staged.discard()
        if isinstance(error, StoreError):
            raise StoreError(f"{error}; nothing of this import was made visible") from error
        if isinstance(error, BrokenProcessPool):
            raise NashraError(
                "a validation worker process died (was it killed?);"
                " nothing of this import was made visible"
            ) from error
        raise
    try:
        counts = await staged.publish()  # discards the import itself if it fails
    except StoreError as error:
        raise StoreError(f"{error}; nothing of this import was made visible") from error
    return ImportSummary(
        counts[Outcome.ADDED],
        counts[Outcome.UPDATED],
        counts[Outcome.UNCHANGED],
        counts[Outcome.STALE],
        rejected,
        time.perf_counter() - started,
    )


@dataclass(frozen=True, slots=True)
class _Task(Generic[Raw]):
    """What a validation worker needs besides the records: picklable, sent with each chunk."""

    settings: Settings
    unit: str
    decoder: Callable[[Raw], object]
    preparer: Callable[[Article], Prepared]
    stager: Callable[[Sequence[tuple[int, Prepared]]], None]


def _validate(
    source: Source[Raw],
    settings: Settings,
    preparer: Callable[[Article], Prepared],
    staged: StagedImport,
    report: Callable[[str], None],
    workers: Workers | None,
    cancelled: Callable[[], bool],
) -> int:
    """Check every record, stage the valid articles; the number of invalid records.

    Chunks go to worker processes (decoding, validation and cleaning are
    CPU-bound Python: threads would not help), which stage what they
    validated; their reports come back in order, so the report reads as if
    done in one pass. The progress bar shows bytes of the source, on a
    terminal, for large ones.
    """
    task = _Task(settings, source.unit, source.decoder, preparer, staged.stager)
    size = source.size
    show = size is not None and size >= PROGRESS_MIN_BYTES and sys.stderr.isatty()
    rejected = 0
    with tqdm(total=size, unit="B", unit_scale=True, disable=not show, leave=False) as bar:
        for checked in _checked_chunks(_counted(source.chunks(), bar.update), task, workers):
            for message in checked.messages:
                report(message)
            rejected += checked.rejected
            if cancelled():
                raise asyncio.CancelledError
    return rejected


def _cancelled(task: asyncio.Task[object] | None) -> bool:
    return task is not None and task.cancelling() > 0


def _counted(
    chunks: Iterator[Chunk[Raw]], progress: Callable[[int], object]
) -> Iterator[Chunk[Raw]]:
    for chunk in chunks:
        progress(chunk.size)
        yield chunk


@dataclass(frozen=True, slots=True)
class _Checked:
    """One chunk, checked (its valid articles staged): its report, its rejects."""

    messages: list[str]
    rejected: int


def _checked_chunks(
    chunks: Iterator[Chunk[Raw]], task: _Task[Raw], workers: Workers | None
) -> Iterator[_Checked]:
    numbered = _numbered(chunks)
    first = next(numbered, None)
    if first is None:
        return
    second = next(numbered, None)
    if second is None or workers is None:
        for seq, chunk in itertools.chain([first], [second] if second else [], numbered):
            yield _check_chunk(task, seq, chunk)
        return
    pending: deque[Future[_Checked]] = deque()
    try:
        for seq, chunk in itertools.chain([first, second], numbered):
            pending.append(workers.pool.submit(_check_chunk, task, seq, chunk))
            if len(pending) >= 2 * workers.count:  # bounded: memory stays flat
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # stopped early (a failure, an interruption): the chunks not started never are
        for future in pending:
            future.cancel()


@dataclass(frozen=True, slots=True)
class Workers:
    """The validation worker processes, and how many there are."""

    pool: Executor
    count: int


@contextlib.contextmanager
def validation_workers(count: int | None = None) -> Iterator[Workers | None]:
    """The processes that validate an import's records: one per CPU, or None for one CPU.

    Forked, and forked now, when the command starts: a forked worker has
    every module the command loaded and starts at once, where a spawned one
    starts a new interpreter and imports them again (about 0.12 s, on every
    core, at the start of each import). A fork is only safe from a process
    that runs one thread (a lock another thread held would stay locked in
    the child), so this runs before the store is opened (its writer has a
    thread); should a thread already run, the workers are spawned instead.
    Workers end with the command, however it ends.
    """
    count = count if count is not None else min(os.cpu_count() or 1, MAX_WORKERS)
    if count <= 1:
        yield None
        return
    single = threading.active_count() == 1
    method = "fork" if single and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(
        count,
        mp_context=multiprocessing.get_context(method),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )
    try:
        if method == "fork":  # the first task forks every worker, before its thread starts
            pool.submit(int).result()
        yield Workers(pool, count)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _numbered(chunks: Iterator[Chunk[Raw]]) -> Iterator[tuple[int, Chunk[Raw]]]:
    """Each chunk with the staging number of its first record: records in source order.

    Staging numbers the records itself rather than by their positions, which
    a source gives for messages (a WXR post id) and need be neither unique
    nor in order.
    """
    first = 1
    for chunk in chunks:
        yield first, chunk
        first += len(chunk.items)


def _check_chunk(task: _Task[Raw], first: int, chunk: Chunk[Raw]) -> _Checked:
    """Decode, validate, clean and stage a chunk of records (in a worker process, or inline)."""
    valid_articles: list[tuple[int, Prepared]] = []
    messages: list[str] = []
    rejected = 0
    for seq, (position, raw) in enumerate(chunk.items, start=first):
        where = f"{task.unit} {position}"
        try:
            valid = validate_record(task.decoder(raw), task.settings, position)
        except RecordError as error:
            rejected += 1
            messages.extend(describe(where, error.record_id, p) for p in error.problems)
            continue
        messages.extend("warning: " + describe(where, valid.article.id, w) for w in valid.warnings)
        valid_articles.append((seq, task.preparer(valid.article)))
    task.stager(valid_articles)
    return _Checked(messages, rejected)
