"""The test configuration: one site in six categories and five languages, written as TOML.

:func:`config_toml` writes :data:`BASE` with a test's changes: a keyword
argument per top-level table, merged into the base table of that name
(``feeds={"rtl_mark": False}``) or, for arrays of tables (``tokens=[...]``),
replacing it; then any raw TOML the test adds (``extra_toml``), such as the
lines ``nashra token create`` prints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from feeds.http.tokens import hash_token

#: the ``make_config`` fixture: ``make_config(extra_toml="", **overrides) -> Path``
MakeConfig = Callable[..., Path]

BASE: dict[str, Any] = {
    "site": {
        "title": "نشرة",
        "link": "https://news.example/",
        "language": "ar",
        "description": "آخر الأخبار",
    },
    "feeds": {"items": 50},
    "categories": [
        {"slug": "politics", "title": "سياسة", "description": "أخبار السياسة"},
        {"slug": "economy", "title": "اقتصاد"},
        {"slug": "farsi", "title": "فارسی", "language": "fa"},
        {"slug": "urdu", "title": "اردو", "language": "ur"},
        {"slug": "english", "title": "English edition", "language": "en"},
        {"slug": "francais", "title": "Édition française", "language": "fr"},
    ],
}


def config_toml(db: Path, extra_toml: str = "", **overrides: Any) -> str:
    """The test configuration with its store at ``db``, changed by ``overrides``."""
    tables: dict[str, Any] = {**BASE, "store": {"path": str(db)}}
    for name, value in overrides.items():
        base = tables.get(name)
        if isinstance(value, Mapping) and isinstance(base, Mapping):
            tables[name] = {**base, **value}
        else:
            tables[name] = value
    text = "\n".join(_table(name, value) for name, value in tables.items())
    return f"{text}\n{extra_toml}" if extra_toml else text


def token(name: str, secret: str, categories: list[str] | None = None) -> dict[str, Any]:
    """A ``[[tokens]]`` table for the API token ``secret`` (only its hash is configured)."""
    table: dict[str, Any] = {"name": name, "hash": hash_token(secret)}
    if categories is not None:
        table["categories"] = categories
    return table


def _table(name: str, value: Any) -> str:
    if isinstance(value, Mapping):
        return f"[{name}]\n{_pairs(value)}"
    return "\n".join(f"[[{name}]]\n{_pairs(item)}" for item in value)


def _pairs(table: Mapping[str, Any]) -> str:
    return "".join(f"{key} = {_value(value)}\n" for key, value in table.items())


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list | tuple):
        return f"[{', '.join(_value(item) for item in value)}]"
    raise TypeError(f"no TOML for {value!r} in the test configuration")
