"""The loopback WordPress answers the recorded requests as the real one did.

Its collection logic (filtering, order, paging, totals, ``_fields``) is the
tests' model of WordPress: checked here against every recorded 200 answer of
``/wp/v2/posts``. Posts modified in the same second may come in any order
(MySQL's, for ties), so order is compared by modification time only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.wordpress.replay import FIXTURES, ReplayWordPress


def recorded_lists() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for state in ("before", "after"):
        for entry in json.loads((FIXTURES / state / "index.json").read_text(encoding="utf-8")):
            if entry["path"] == "/wp-json/wp/v2/posts" and entry["status"] == 200:
                found.append((state, entry))
    return found


LISTS = recorded_lists()


@pytest.mark.parametrize(("state", "entry"), LISTS, ids=[f"{s}-{e['name']}" for s, e in LISTS])
def test_each_recorded_list_is_answered_alike(state: str, entry: dict[str, Any]) -> None:
    site = ReplayWordPress()
    site.state(state)
    status, headers, body, _ = site.answer(entry["path"], dict(entry["query"]))
    real = json.loads((FIXTURES / state / entry["body"]).read_bytes())
    ours = json.loads(body)
    assert status == 200
    for name in ("X-WP-Total", "X-WP-TotalPages"):
        assert headers[name] == entry["headers"][name]
    assert sorted(ours, key=lambda p: p["id"]) == sorted(real, key=lambda p: p["id"])
    key = "modified_gmt" if entry["query"] and dict(entry["query"]).get("orderby") else "date_gmt"
    if all(key in p for p in real):
        assert [p[key] for p in ours] == [p[key] for p in real]
