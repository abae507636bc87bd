"""Records without a language get their text's, when it clearly is another than the category's."""

from __future__ import annotations

import json
from pathlib import Path

from feeds.cli import main
from feeds.config.loader import load_settings
from tests.support.builders import record
from tests.support.commands import ImportRecords
from tests.support.config import MakeConfig
from tests.wordpress.conftest import articles


def without_language(index: int, words: str, category: str) -> dict[str, object]:
    data = record(index, language=words, categories=[category])
    del data["language"]
    return data


def test_an_english_record_in_an_arabic_category_is_marked_english(
    import_records: ImportRecords, config_file: Path
) -> None:
    run = import_records(
        [
            without_language(1, "en", "politics"),  # English text, Arabic category
            without_language(2, "ar", "politics"),
            without_language(3, "fa", "english"),  # Persian text, English category
            record(4, language="en", categories=["politics"]) | {"language": "ar"},  # said
        ]
    )
    assert run.code == 0, run.err
    stored = articles(load_settings(config_file))
    assert {i: a.language for i, a in stored.items()} == {
        "t-00001": "en",
        "t-00002": "ar",
        "t-00003": "fa",
        "t-00004": "ar",  # a language given is never second-guessed
    }


def test_a_short_title_alone_keeps_the_category_language(
    import_records: ImportRecords, config_file: Path
) -> None:
    data = {**without_language(1, "en", "politics"), "title": "iPhone 17"}
    for field in ("summary", "content"):
        del data[field]
    assert import_records([data]).code == 0
    assert articles(load_settings(config_file))["t-00001"].language == "ar"


def test_identification_can_be_turned_off(make_config: MakeConfig, tmp_path: Path) -> None:
    config = make_config(ingest={"identify_language": False})
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(without_language(1, "en", "politics")) + "\n", encoding="utf-8")
    assert main(["import", str(path), "--config", str(config)]) == 0
    assert articles(load_settings(config))["t-00001"].language == "ar"
