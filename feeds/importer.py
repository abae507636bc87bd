"""``nashra import``: JSON Lines in, articles in the store, a summary out.

The file is read twice over, never held in memory: a first pass validates
and cleans every record, spooling the valid articles to a temporary file; only
if that pass finds no invalid record (or ``--skip-invalid`` is given) does the
second pass write the spool to the store, in batches of one transaction each.
So by default a file with any invalid record imports nothing, and a valid
file of any size imports with flat memory.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from tqdm import tqdm

from feeds.records import Problem, RecordError, validate_record
from feeds.settings import Settings
from store.sqlite import SQLiteStore
from store.types import Article, Image, Outcome

BATCH = 2000
_FIELDS = [f.name for f in dataclasses.fields(Article) if f.name != "image"]
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
) -> ImportSummary:
    """Import a JSON Lines stream; every problem and warning goes to ``report``."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as spool:
        rejected = _validate(stream, settings, spool, report, size)
        if rejected and not skip_invalid:
            return ImportSummary(0, 0, 0, 0, rejected, time.perf_counter() - started)
        spool.seek(0)
        counts: Counter[Outcome] = Counter()
        for batch in _batches(_unspool(spool)):
            counts.update(await store.put_articles(batch))
    return ImportSummary(
        counts[Outcome.ADDED],
        counts[Outcome.UPDATED],
        counts[Outcome.UNCHANGED],
        counts[Outcome.STALE],
        rejected,
        time.perf_counter() - started,
    )


def _validate(
    stream: IO[bytes],
    settings: Settings,
    spool: IO[bytes],
    report: Callable[[str], None],
    size: int | None,
) -> int:
    """Check every line, spool the valid articles; the number of invalid records."""
    rejected = 0
    show = size is not None and size >= PROGRESS_MIN_BYTES and sys.stderr.isatty()
    with tqdm(total=size, unit="B", unit_scale=True, disable=not show, leave=False) as bar:
        for number, raw in enumerate(stream, start=1):
            bar.update(len(raw))
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                rejected += 1
                report(describe(number, None, Problem("", f"is not valid JSON ({error})")))
                continue
            except RecursionError:  # arrays or objects nested thousands deep
                rejected += 1
                report(describe(number, None, Problem("", "is nested too deeply")))
                continue
            try:
                valid = validate_record(data, settings, number)
            except RecordError as error:
                rejected += 1
                for problem in error.problems:
                    report(describe(number, error.record_id, problem))
                continue
            for warning in valid.warnings:
                report("warning: " + describe(number, valid.article.id, warning))
            _spool_write(spool, valid.article)
    return rejected


def _spool_write(spool: IO[bytes], article: Article) -> None:
    """One length-prefixed pickle per article, of its fields as a plain tuple.

    A tuple pickles several times faster than a slotted dataclass, whose
    generated ``__getstate__`` walks ``dataclasses.fields`` on every call.
    """
    image = article.image
    fields = tuple(getattr(article, name) for name in _FIELDS)
    fields += ((image.url, image.type, image.length) if image else None,)
    data = pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL)
    spool.write(len(data).to_bytes(4, "big"))
    spool.write(data)


def _unspool(spool: IO[bytes]) -> Iterator[Article]:
    while header := spool.read(4):
        *fields, image = pickle.loads(spool.read(int.from_bytes(header, "big")))
        yield Article(
            **dict(zip(_FIELDS, fields, strict=True)), image=Image(*image) if image else None
        )


def _batches(articles: Iterator[Article]) -> Iterator[list[Article]]:
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
