"""JSON Lines, the import format: one record (a JSON object) per line.

The stream is read a chunk of lines at a time, never whole; the lines are
decoded in the pipeline's worker processes (see :func:`decode_line`), and a
line that is not JSON is a record error naming its line like any other.

Memory stays flat whatever the file holds: a line is read with a bounded
``readline``, and one longer than :data:`MAX_LINE_BYTES` is a record error
too, its rest read and dropped a piece at a time; a chunk ends at
:data:`CHUNK_LINES` lines or :data:`CHUNK_BYTES` bytes, whichever comes first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import IO

from feeds.ingest.records import Problem, RecordError
from feeds.ingest.source import Chunk

CHUNK_LINES = 500  # lines a validation worker takes at a time
CHUNK_BYTES = 1 << 20  # ... or fewer, once they hold this many bytes
MAX_LINE_BYTES = 4 << 20  # one record's line, its newline not counted
_DISCARD = 1 << 16  # the rest of an overlong line is read this much at a time
_DECODER = json.JSONDecoder()  # json.loads's own, with its defaults


class OverlongLine(bytes):
    """Stands for a line longer than the limit, which was not kept: its length, as text."""

    def __reduce__(self) -> tuple[type[OverlongLine], tuple[bytes]]:
        return (OverlongLine, (bytes(self),))


class JsonLinesSource:
    """The records of a JSON Lines stream; positions are line numbers, from 1."""

    unit = "line"

    def __init__(
        self, stream: IO[bytes], size: int | None = None, max_line: int = MAX_LINE_BYTES
    ) -> None:
        self.stream = stream
        self.size = size
        self.max_line = max_line

    def chunks(self) -> Iterator[Chunk[bytes]]:
        """Up to :data:`CHUNK_LINES` lines at a time; blank lines count, but are no records."""
        number = 0
        items: list[tuple[int, bytes]] = []
        lines = read = 0  # of the chunk being filled
        while True:
            raw, length = self._line()
            if not length:
                break
            number += 1
            lines += 1
            read += length
            if not raw.isspace():
                items.append((number, raw))
            if lines == CHUNK_LINES or read >= CHUNK_BYTES:
                yield Chunk(items, read)
                items, lines, read = [], 0, 0
        if items or read:
            yield Chunk(items, read)

    def _line(self) -> tuple[bytes, int]:
        """The next line and its length in bytes; an :class:`OverlongLine` past the limit."""
        line = self.stream.readline(self.max_line + 1)
        if len(line) <= self.max_line or line.endswith(b"\n"):
            return line, len(line)
        length = len(line)
        del line
        while rest := self.stream.readline(_DISCARD):
            length += len(rest)
            if rest.endswith(b"\n"):
                break
        return OverlongLine(str(self.max_line).encode()), length

    @property
    def decoder(self) -> Callable[[bytes], object]:
        return decode_line


def decode_line(raw: bytes) -> object:
    """The JSON value of a line; a line that is not JSON, or too long, is a record error."""
    if isinstance(raw, OverlongLine):
        limit = int(raw)
        raise RecordError(0, None, [Problem("", f"is longer than {_size(limit)}")])
    try:
        if raw[:1] == b"{" and raw[1:2] != b"\x00":
            # What json.loads does for a line it detects as UTF-8, as every record line is,
            # less its detection and dispatch: 15% of the decoding time.
            return _DECODER.decode(raw.decode("utf-8", "surrogatepass"))
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = Problem("", f"is not valid JSON ({error})")
    except RecursionError:  # arrays or objects nested thousands deep
        problem = Problem("", "is nested too deeply")
    raise RecordError(0, None, [problem])


def _size(limit: int) -> str:
    if limit % (1 << 20) == 0:
        return f"{limit >> 20} MiB"
    return f"{limit} bytes"
