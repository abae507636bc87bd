"""What the import pipeline reads from: a source of raw records, in numbered chunks.

A source knows one format (JSON Lines, a WordPress site…) and nothing of
validation, cleaning or the store: it yields chunks of raw records, each
with its position (a line number, a post number: what a person needs to
find it), and names a function, its ``decoder``, that turns one raw record
into the JSON-like value :func:`~feeds.ingest.records.validate_record`
takes. The decoder runs in the pipeline's worker processes, so it must be
picklable: a module-level function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

Raw = TypeVar("Raw")


@dataclass(frozen=True, slots=True)
class Chunk(Generic[Raw]):
    """Some raw records with their positions, and how many bytes of the source they took."""

    items: list[tuple[int, Raw]]
    size: int


class Source(Protocol[Raw]):
    """A source of raw records; see the module docstring."""

    @property
    def unit(self) -> str:
        """What a position counts, for messages: ``line 3``."""
        ...

    @property
    def size(self) -> int | None:
        """The source's size in bytes when known: the progress bar's total."""
        ...

    @property
    def decoder(self) -> Callable[[Raw], object]:
        """One raw record as a JSON-like value; :class:`RecordError` if it is none."""
        ...

    def chunks(self) -> Iterator[Chunk[Raw]]: ...
