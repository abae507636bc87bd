"""``nashra import``: JSON Lines in, articles in the store, a summary out.

The file is read twice over, never held in memory: a first pass validates
and cleans every record, spooling the valid articles to a temporary file; only
if that pass finds no invalid record (or ``--skip-invalid`` is given) does the
second pass write the spool to the store, in batches of one transaction each.
So by default a file with any invalid record imports nothing, and a valid
file of any size imports with flat memory.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import multiprocessing
import os
import pickle
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

from tqdm import tqdm

from feeds.config.settings import Settings
from feeds.ingest.records import Problem, RecordError, validate_record
from store.sqlite.rows import prepare
from store.sqlite.store import SQLiteStore
from store.types import Outcome, Prepared

BATCH = 2000
CHUNK_LINES = 500  # lines a validation worker takes at a time
MAX_WORKERS = 8
PROGRESS_MIN_BYTES = 4 << 20  # a progress bar for files of 4 MiB and more, on a terminal


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


def describe(line: int, record_id: str | None, problem: Problem) -> str:
    """``line 3 (id a-1): title: …``: where a problem is, for a person to find it.

    Ids and field names come from the file: one with a control character or a
    lone surrogate is shown as a Python literal, so it can neither fake another
    line of the report nor break the terminal's encoding.
    """
    where = f"line {line}" + (f" (id {_shown(record_id)})" if record_id else "")
    return f"{where}: {_shown(problem.field) or 'record'}: {problem.message}"


def _shown(text: str | None) -> str:
    if not text or text.isprintable():
        return text or ""
    return ascii(text)


async def import_file(
    stream: IO[bytes],
    store: SQLiteStore,
    settings: Settings,
    *,
    skip_invalid: bool,
    report: Callable[[str], None],
    size: int | None = None,
    workers: int | None = None,
) -> ImportSummary:
    """Import a JSON Lines stream; every problem and warning goes to ``report``.

    ``workers`` processes validate and clean the records (default: one per
    CPU, but none for a stream that fits in one chunk).
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as spool:
        rejected = _validate(stream, settings, spool, report, size, workers)
        if rejected and not skip_invalid:
            return ImportSummary(0, 0, 0, 0, rejected, time.perf_counter() - started)
        spool.seek(0)
        counts = await _write(store, _batches(_unspool(spool)))
    return ImportSummary(
        counts[Outcome.ADDED],
        counts[Outcome.UPDATED],
        counts[Outcome.UNCHANGED],
        counts[Outcome.STALE],
        rejected,
        time.perf_counter() - started,
    )


async def _write(store: SQLiteStore, batches: Iterator[list[Prepared]]) -> Counter[Outcome]:
    """Write batch after batch, reading the next from the spool while one is written.

    SQLite releases the GIL while it works, so unpickling the next batch in
    this thread overlaps with the writer thread's inserts.
    """
    counts: Counter[Outcome] = Counter()
    writing: asyncio.Task[list[Outcome]] | None = None
    for batch in batches:
        if writing is not None:
            counts.update(await writing)
        writing = asyncio.create_task(store.put_prepared(batch))
        await asyncio.sleep(0)  # let the task hand the batch to the writer thread
    if writing is not None:
        counts.update(await writing)
    return counts


def _validate(
    stream: IO[bytes],
    settings: Settings,
    spool: IO[bytes],
    report: Callable[[str], None],
    size: int | None,
    workers: int | None,
) -> int:
    """Check every line, spool the valid articles; the number of invalid records.

    Lines go in chunks to worker processes (validation and cleaning are
    CPU-bound Python: threads would not help), and their results come back
    in order, so the report and the spool read as if done in one pass.
    """
    rejected = 0
    show = size is not None and size >= PROGRESS_MIN_BYTES and sys.stderr.isatty()
    with tqdm(total=size, unit="B", unit_scale=True, disable=not show, leave=False) as bar:
        for checked in _checked_chunks(_chunks(stream, bar), settings, workers):
            spool.write(checked.spool)
            for message in checked.messages:
                report(message)
            rejected += checked.rejected
    return rejected


@dataclass(frozen=True, slots=True)
class _Checked:
    """One chunk of lines, checked: its valid articles spooled, its report, its rejects."""

    spool: bytes
    messages: list[str]
    rejected: int


def _checked_chunks(
    chunks: Iterator[tuple[int, list[bytes]]], settings: Settings, workers: int | None
) -> Iterator[_Checked]:
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    count = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
    if second is None or count <= 1:
        for number, lines in itertools.chain([first], [second] if second else [], chunks):
            yield _check_chunk(settings, number, lines)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(count, mp_context=context) as pool:
        pending: deque[Future[_Checked]] = deque()
        for number, lines in itertools.chain([first, second], chunks):
            pending.append(pool.submit(_check_chunk, settings, number, lines))
            if len(pending) >= 2 * count:  # bounded: memory stays flat
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _chunks(stream: IO[bytes], bar: tqdm[Any]) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, lines) for every :data:`CHUNK_LINES` lines."""
    number = 1
    while lines := list(itertools.islice(stream, CHUNK_LINES)):
        bar.update(sum(map(len, lines)))
        yield number, lines
        number += len(lines)


def _check_chunk(settings: Settings, first: int, lines: list[bytes]) -> _Checked:
    """Validate and clean a chunk of lines (in a worker process, or inline)."""
    spool = io.BytesIO()
    messages: list[str] = []
    rejected = 0
    for number, raw in enumerate(lines, start=first):
        if not raw.strip():
            continue
        try:
            valid = validate_record(_decoded(raw), settings, number)
        except RecordError as error:
            rejected += 1
            messages.extend(describe(number, error.record_id, p) for p in error.problems)
            continue
        messages.extend("warning: " + describe(number, valid.article.id, w) for w in valid.warnings)
        _spool_write(spool, prepare(valid.article))
    return _Checked(spool.getvalue(), messages, rejected)


def _decoded(raw: bytes) -> object:
    """The JSON value of a line; a line that is not JSON is a record error."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = Problem("", f"is not valid JSON ({error})")
    except RecursionError:  # arrays or objects nested thousands deep
        problem = Problem("", "is nested too deeply")
    raise RecordError(0, None, [problem])


def _spool_write(spool: IO[bytes], article: Prepared) -> None:
    """One length-prefixed pickle per article, prepared for the writer (plain tuples)."""
    data = pickle.dumps(tuple(article), protocol=pickle.HIGHEST_PROTOCOL)
    spool.write(len(data).to_bytes(4, "big"))
    spool.write(data)


def _unspool(spool: IO[bytes]) -> Iterator[Prepared]:
    while header := spool.read(4):
        yield Prepared(*pickle.loads(spool.read(int.from_bytes(header, "big"))))


def _batches(articles: Iterator[Prepared]) -> Iterator[list[Prepared]]:
    batch: list[Prepared] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
