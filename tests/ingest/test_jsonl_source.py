"""The JSON Lines source: positions are line numbers, blank lines count but are no records."""

from __future__ import annotations

import io

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
