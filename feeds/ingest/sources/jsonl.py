"""JSON Lines, the import format: one record (a JSON object) per line.

The stream is read a chunk of lines at a time, never whole; the lines are
decoded in the pipeline's worker processes (see :func:`decode_line`), and a
line that is not JSON is a record error naming its line like any other.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import IO

from feeds.ingest.records import Problem, RecordError
from feeds.ingest.source import Chunk

CHUNK_LINES = 500  # lines a validation worker takes at a time


class JsonLinesSource:
    """The records of a JSON Lines stream; positions are line numbers, from 1."""

    unit = "line"

    def __init__(self, stream: IO[bytes], size: int | None = None) -> None:
        self.stream = stream
        self.size = size

    def chunks(self) -> Iterator[Chunk[bytes]]:
        """:data:`CHUNK_LINES` lines at a time; blank lines count, but are no records."""
        number = 1
        while lines := list(itertools.islice(self.stream, CHUNK_LINES)):
            items = [(n, raw) for n, raw in enumerate(lines, start=number) if not raw.isspace()]
            yield Chunk(items, sum(map(len, lines)))
            number += len(lines)

    @property
    def decoder(self) -> Callable[[bytes], object]:
        return decode_line


def decode_line(raw: bytes) -> object:
    """The JSON value of a line; a line that is not JSON is a record error."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = Problem("", f"is not valid JSON ({error})")
    except RecursionError:  # arrays or objects nested thousands deep
        problem = Problem("", "is nested too deeply")
    raise RecordError(0, None, [problem])
