"""The JSON columns of an article's row are written by hand, for speed: as ``json.dumps`` would.

Stores written before hold ``json.dumps`` text in ``categories``, ``feeds``
and the staged ``entries``; the rows written now must be the same text, so
that nothing reading them (SQLite's JSON functions, ``json.loads``) can tell
which version wrote a row.
"""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from store.sqlite.rows import json_entries, json_strings, json_strings_ascii

#: Any code point, lone surrogates, quotes, backslashes and controls included.
TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF))


@given(st.lists(TEXT, max_size=5))
@example(["عاجل", 'a"b\\c', "\x00\n\u2028", "\ud800", "é"])
def test_string_lists_are_written_as_json_dumps_writes_them(items: list[str]) -> None:
    assert json_strings(items) == json.dumps(items, ensure_ascii=False)
    assert json_strings_ascii(items) == json.dumps(items)


@given(
    st.lists(
        st.tuples(TEXT, st.integers(-(2**63), 2**63 - 1), st.none() | st.integers(0, 2**63 - 1)),
        max_size=4,
    )
)
def test_feed_entries_are_written_as_json_dumps_writes_them(
    entries: list[tuple[str, int, int | None]],
) -> None:
    assert json_entries(entries) == json.dumps(entries)
    assert json.loads(json_entries(entries)) == [list(entry) for entry in entries]
