"""A record line decodes exactly as ``json.loads`` decodes it, value or error.

:func:`decode_line` skips ``json.loads``'s encoding detection for lines that
open with ``{`` and are therefore UTF-8; nothing a publisher could see may
differ: not a value, not a lone surrogate, not an error message.
"""

from __future__ import annotations

import codecs
import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feeds.ingest.records import RecordError
from feeds.ingest.sources.jsonl import decode_line


def as_json_loads(raw: bytes) -> str:
    """What ``json.loads`` makes of ``raw``, as the text a test compares."""
    try:
        return repr(json.loads(raw))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"is not valid JSON ({error})"
    except RecursionError:
        return "is nested too deeply"


def as_decode_line(raw: bytes) -> str:
    try:
        return repr(decode_line(raw))
    except RecordError as error:
        [problem] = error.problems
        return problem.message


PIECES = st.sampled_from(
    [
        b"{", b"}", b"[", b"]", b'"', b":", b",", b" ", b"\n", b"\t", b"\x00", b"\\", b"\\u",
        b"d800", b"\\ud800", b"\\udc00", b"\xed\xa0\x80", b"\xff", b"\xc3", b"\xc3\xa9",
        "عاجل".encode(), b"NaN", b"-Infinity", b"1e400", b"12345678901234567890", b"true",
        b"null", b'"id"', b'"a"', codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF32_BE,
    ]
)  # fmt: skip
LINE = st.one_of(
    st.lists(st.one_of(PIECES, st.binary(max_size=3)), max_size=16).map(b"".join),
    st.lists(st.one_of(PIECES, st.binary(max_size=3)), max_size=16).map(
        lambda p: b"{" + b"".join(p)
    ),
)


@settings(max_examples=2000, deadline=None)
@given(LINE)
@example(b'{"id": "a", "title": "\xd8\xb9\xd8\xa7\xd8\xac\xd9\x84"}\n')
@example(b'{"title": "\xed\xa0\x80"}')  # a lone surrogate, encoded: read as json.loads reads it
@example(b'{"title": "\\ud800"}')
@example(b'{"a": 1} {"b": 2}')
@example(b"{")
@example(b"{\x00\x00\x00")
@example('{"id": "x"}'.encode("utf-16-le"))
@example(codecs.BOM_UTF8 + b'{"id": "x"}')
@example(b'{"a": NaN, "b": 1e400, "c": -0}')
def test_a_line_decodes_as_json_loads_decodes_it(raw: bytes) -> None:
    assert as_decode_line(raw) == as_json_loads(raw)


@pytest.mark.parametrize(
    "raw", [b"{" + b'"a":' * 1, b'{"a":' * 100_000 + b"1" + b"}" * 100_000, b'{"a": "\xff"}']
)
def test_a_bad_line_opening_like_a_record_is_the_same_error(raw: bytes) -> None:
    assert as_decode_line(raw) == as_json_loads(raw)
    assert as_decode_line(raw).startswith(("is not valid JSON (", "is nested too deeply"))
