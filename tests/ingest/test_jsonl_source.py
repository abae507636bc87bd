"""The JSON Lines source: positions are line numbers, blank lines count but are no records."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from feeds.ingest.records import RecordError
from feeds.ingest.sources import jsonl
from feeds.ingest.sources.jsonl import JsonLinesSource, decode_line


def test_positions_are_line_numbers_and_blank_lines_are_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jsonl, "CHUNK_LINES", 2)
    text = b'{"a": 1}\n\n   \n{"b": 2}\n{"c": 3}\n'
    chunks = list(JsonLinesSource(io.BytesIO(text), len(text)).chunks())
    assert [[n for n, _ in c.items] for c in chunks] == [[1], [4], [5]]
    assert sum(c.size for c in chunks) == len(text)  # the progress bar reaches the end


def test_a_line_that_is_not_json_is_a_record_error() -> None:
    assert decode_line(b'{"id": "x"}\n') == {"id": "x"}
    for raw, message in ((b"{nope\n", "is not valid JSON"), (b"[" * 100_000, "nested too")):
        with pytest.raises(RecordError) as caught:
            decode_line(raw)
        assert message in caught.value.problems[0].message


def test_a_line_over_the_limit_is_a_record_error_and_the_next_lines_are_read() -> None:
    text = b'{"a": 1}\n' + b'{"b": "' + b"x" * 100 + b'"}\n' + b'{"c": 3}\n' + b"y" * 50
    chunks = list(JsonLinesSource(io.BytesIO(text), len(text), max_line=20).chunks())
    items = [item for chunk in chunks for item in chunk.items]
    assert [n for n, _ in items] == [1, 2, 3, 4]
    assert decode_line(items[0][1]) == {"a": 1}
    assert decode_line(items[2][1]) == {"c": 3}
    for _, raw in (items[1], items[3]):
        with pytest.raises(RecordError) as caught:
            decode_line(raw)
        assert caught.value.problems[0].message == "is longer than 20 bytes"
    assert sum(c.size for c in chunks) == len(text)


def test_a_line_as_long_as_the_limit_is_read() -> None:
    line = b'{"a": "' + b"x" * 13 + b'"}'  # 22 bytes, and its newline
    chunks = list(JsonLinesSource(io.BytesIO(line + b"\n" + line), max_line=len(line)).chunks())
    assert [decode_line(raw) for c in chunks for _, raw in c.items] == [{"a": "x" * 13}] * 2


def test_a_chunk_ends_at_its_size_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl, "CHUNK_BYTES", 20)
    text = b'{"a": 1}\n' * 10  # 9 bytes a line: a chunk takes three
    chunks = list(JsonLinesSource(io.BytesIO(text)).chunks())
    assert [len(c.items) for c in chunks] == [3, 3, 3, 1]


def test_an_overlong_line_is_not_held_in_memory() -> None:
    """A 64 MiB line once took 64 MiB and more; now a read of at most the limit."""
    stream = io.BytesIO(b"[" + b"1," * (32 << 20) + b"1]\n{}\n")
    tracemalloc.start()
    try:
        items = [item for chunk in JsonLinesSource(stream, max_line=1 << 20).chunks()
                 for item in chunk.items]  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [n for n, _ in items] == [1, 2]
    assert peak < 4 << 20


def test_a_chunk_cut_by_size_does_not_cut_the_next_one_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each chunk counts its own lines: one cut by size left the next ending at a multiple."""
    monkeypatch.setattr(jsonl, "CHUNK_LINES", 4)
    monkeypatch.setattr(jsonl, "CHUNK_BYTES", 40)
    text = b'{"a": "' + b"x" * 32 + b'"}\n' + b'{"a": 1}\n' * 12  # 42 bytes, then 9 a line
    chunks = list(JsonLinesSource(io.BytesIO(text)).chunks())
    assert [len(c.items) for c in chunks] == [1, 4, 4, 4]
