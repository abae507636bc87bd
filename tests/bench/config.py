"""The nashra configuration the benchmark serves: one TOML file in the work directory."""

from __future__ import annotations

import json
from pathlib import Path

SITE = """\
[site]
title = "نشرة"
link = "https://news.example/"
language = "ar"
description = "آخر الأخبار"

[feeds]
items = 50

[store]
path = {db}
"""

CATEGORY = """
[[categories]]
slug = {slug}
title = {slug}
language = {language}
"""


def write_config(path: Path, db: Path, categories: dict[str, str]) -> Path:
    """Write a config for the store ``db`` with ``categories`` (slug: language) to ``path``."""
    text = SITE.format(db=_toml(str(db))) + "".join(
        CATEGORY.format(slug=_toml(slug), language=_toml(language))
        for slug, language in categories.items()
    )
    path.write_text(text, encoding="utf-8")
    return path


def _toml(text: str) -> str:
    """A TOML basic string: JSON's string syntax is a subset of it for these values."""
    return json.dumps(text, ensure_ascii=False)
