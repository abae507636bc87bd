"""The soak's files: the configuration it serves and the JSON Lines file it imports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support import builders
from tests.support.config import config_toml, token

SITE = "https://news.example/"  # the test configuration's site.link
SECRET = "soak-api-token"
IMPORT_SPACING = timedelta(seconds=7)  # between two imported articles' publication times


def write_config(work: Path, hub: str) -> Path:
    """The test configuration (six categories, Arabic first) with an API token and the hub."""
    path = work / "nashra.toml"
    text = config_toml(work / "nashra.db", tokens=[token("soak", SECRET)], websub={"hub": hub})
    path.write_text(text, encoding="utf-8")
    return path


def write_import(work: Path, count: int) -> Path:
    """``count`` records in the five languages, published 7 s apart back from now.

    The newest are as new as the CMS's articles, so the import pushes some
    of them out of the feeds' windows, as a real backfill would.
    """
    path = work / "import.jsonl"
    now = datetime.now(UTC).replace(microsecond=0)
    languages = list(builders.WORDS)
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            language = languages[index % len(languages)]
            moment = builders.rfc3339(now - IMPORT_SPACING * index, builders.OFFSETS[language])
            data = builders.record(
                index, language, id=imported_id(index), published=moment, updated=moment,
                link=f"{SITE}imported/{index}/",
            )  # fmt: skip
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
    return path


def imported_id(index: int) -> str:
    return f"imp-{index}"
